package dev.clearway.streams.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.streams.mqtt.MqttPacket.ConnAck;
import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.Disconnect;
import dev.clearway.streams.mqtt.MqttPacket.PingReq;
import dev.clearway.streams.mqtt.MqttPacket.PingResp;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import dev.clearway.streams.mqtt.MqttPacket.SubAck;
import dev.clearway.streams.mqtt.MqttPacket.Subscribe;
import dev.clearway.streams.mqtt.MqttPacket.Subscription;
import dev.clearway.streams.mqtt.MqttPacket.UnsubAck;
import dev.clearway.streams.mqtt.MqttPacket.Unsubscribe;
import dev.clearway.streams.mqtt.MqttPacket.Will;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interop with a client no one here wrote: Eclipse Paho (MQTT 3.1.1) against a loopback TCP server
 * made of {@link MqttCodecFlow} and a few lines of answering logic. Our decoder must read exactly
 * what Paho's encoder wrote, and Paho must accept every packet our encoder writes back, or its
 * blocking calls fail.
 */
class MqttPahoInteropIT extends StreamTestKit {

  private static final String DEVICE = "paho-device-1";
  private static final String USERNAME = "hub.example.net/" + DEVICE + "/?api-version=2021-04-12";
  private static final String TELEMETRY = "devices/" + DEVICE + "/messages/events/%24.ct=application%2Fjson&k=v";
  private static final String C2D_FILTER = "devices/" + DEVICE + "/messages/devicebound/#";
  private static final String C2D_TOPIC = "devices/" + DEVICE + "/messages/devicebound/%24.mid=m1";

  /** Everything the server decoded, in arrival order. */
  private final BlockingQueue<MqttInbound> received = new LinkedBlockingQueue<>();
  private Tcp.ServerBinding binding;
  private MqttClient client;
  /** PINGREQs seen so far; Paho sends them on its own timer. */
  private int pings;

  /** The server's side: record each element, answer the way a broker would. */
  private Flow<MqttInbound, MqttPacket, NotUsed> answering() {
    return Flow.<MqttInbound>create().mapConcat(in -> {
      received.add(in);
      if (in instanceof Connect) {
        return List.of(new ConnAck(false, ConnAck.ACCEPTED));
      } else if (in instanceof Publish p && p.qos() == 1) {
        return List.of(new PubAck(p.packetId()));
      } else if (in instanceof Subscribe s) {
        // Grant what was asked, then deliver one cloud-to-device message on the subscription.
        return List.of(new SubAck(s.packetId(), s.subscriptions().stream().map(Subscription::qos).toList()),
            new Publish(false, 1, false, C2D_TOPIC, 4242, ByteString.fromString("to the device")));
      } else if (in instanceof Unsubscribe u) {
        return List.of(new UnsubAck(u.packetId()));
      } else if (in instanceof PingReq) {
        return List.of(new PingResp());
      }
      return List.<MqttPacket>of();
    });
  }

  @BeforeEach
  void startServer() throws Exception {
    MqttSettings settings = new MqttSettings(327_688);
    binding = Tcp.get(system).bind("127.0.0.1", 0)
        .to(Sink.foreach(connection -> connection.handleWith(MqttCodecFlow.create(settings).join(answering()), system)))
        .run(system).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close(true);
    }
    binding.unbind().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  private MqttInbound next() throws InterruptedException {
    // PINGREQ comes whenever Paho's keep-alive timer fires; it is checked separately.
    while (true) {
      MqttInbound in = received.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(in).as("a packet within " + TIMEOUT).isNotNull();
      if (!(in instanceof PingReq)) {
        return in;
      }
      pings++;
    }
  }

  @Test
  void pahoSessionDecodesToTheSamePacketsAndPahoAcceptsOurAnswers() throws Exception {
    client = new MqttClient("tcp://127.0.0.1:" + binding.localAddress().getPort(), DEVICE, new MemoryPersistence());
    CompletableFuture<MqttMessage> c2d = new CompletableFuture<>();
    List<String> c2dTopics = new ArrayList<>();
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setCleanSession(false);
    options.setKeepAliveInterval(1);
    options.setUserName(USERNAME);
    options.setPassword("SharedAccessSignature sr=x&sig=y".toCharArray());
    options.setWill("devices/" + DEVICE + "/messages/events/will", "gone".getBytes(StandardCharsets.UTF_8), 1, true);
    options.setAutomaticReconnect(false);

    client.connect(options);
    assertThat(next()).isEqualTo(new Connect(false, 1, DEVICE,
        Optional.of(new Will("devices/" + DEVICE + "/messages/events/will", ByteString.fromString("gone"), 1, true)),
        Optional.of(USERNAME), Optional.of(ByteString.fromString("SharedAccessSignature sr=x&sig=y"))));

    // QoS 1 returns only after our PUBACK reached Paho.
    byte[] json = "{\"temperature\":21.5}".getBytes(StandardCharsets.UTF_8);
    client.publish(TELEMETRY, json, 1, false);
    MqttInbound telemetry = next();
    assertThat(telemetry).isInstanceOfSatisfying(Publish.class, p -> {
      assertThat(p.topic()).isEqualTo(TELEMETRY);
      assertThat(p.qos()).isEqualTo(1);
      assertThat(p.packetId()).isPositive();
      assertThat(p.dup()).isFalse();
      assertThat(p.retain()).isFalse();
      assertThat(p.payload()).isEqualTo(ByteString.fromArray(json));
    });

    client.publish(TELEMETRY, new byte[0], 0, true);
    assertThat(next()).isEqualTo(new Publish(false, 0, true, TELEMETRY, 0, ByteString.emptyByteString()));

    client.subscribe(C2D_FILTER, 1, (topic, message) -> {
      c2dTopics.add(topic);
      c2d.complete(message);
    });
    assertThat(next()).isInstanceOfSatisfying(Subscribe.class,
        s -> assertThat(s.subscriptions()).containsExactly(new Subscription(C2D_FILTER, 1)));
    // Paho decoded our PUBLISH and acknowledged it with its own PUBACK.
    MqttMessage delivered = c2d.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(new String(delivered.getPayload(), StandardCharsets.UTF_8)).isEqualTo("to the device");
    assertThat(c2dTopics).containsExactly(C2D_TOPIC);
    assertThat(next()).isEqualTo(new PubAck(4242));

    client.unsubscribe(C2D_FILTER);
    assertThat(next()).isInstanceOfSatisfying(Unsubscribe.class,
        u -> assertThat(u.topicFilters()).containsExactly(C2D_FILTER));

    // Stay quiet past the 1 s keep-alive so Paho sends PINGREQ and needs our PINGRESP.
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (pings == 0 && System.nanoTime() < deadline) {
      MqttInbound in = received.poll(100, TimeUnit.MILLISECONDS);
      if (in != null) {
        assertThat(in).isInstanceOf(PingReq.class);
        pings++;
      }
    }
    assertThat(pings).as("PINGREQs from Paho").isPositive();
    assertThat(client.isConnected()).isTrue();

    client.disconnect();
    assertThat(next()).isEqualTo(new Disconnect());
  }
}

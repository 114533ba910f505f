package dev.clearway.streams.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.Disconnect;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import dev.clearway.streams.mqtt.MqttPacket.Subscribe;
import dev.clearway.streams.mqtt.MqttPacket.Subscription;
import dev.clearway.streams.mqtt.MqttPacket.Unsubscribe;
import dev.clearway.streams.mqtt.MqttPacket.Will;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interop with a client no one here wrote: Eclipse Paho (MQTT 3.1.1) against {@link
 * LoopbackMqttServer}. Our decoder must read exactly what Paho's encoder wrote, and Paho must accept
 * every packet our encoder writes back, or its blocking calls fail.
 */
class MqttPahoInteropIT extends StreamTestKit {

  private static final String DEVICE = "paho-device-1";
  private static final String USERNAME = "hub.example.net/" + DEVICE + "/?api-version=2021-04-12";
  private static final String TELEMETRY = "devices/" + DEVICE + "/messages/events/%24.ct=application%2Fjson&k=v";
  private static final String C2D_FILTER = "devices/" + DEVICE + "/messages/devicebound/#";
  private static final String C2D_TOPIC = "devices/" + DEVICE + "/messages/devicebound/%24.mid=m1";

  private LoopbackMqttServer server;
  private MqttClient client;

  @BeforeEach
  void startServer() throws Exception {
    server = new LoopbackMqttServer(system, C2D_TOPIC, TIMEOUT);
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close(true);
    }
    server.close();
  }

  @Test
  void pahoSessionDecodesToTheSamePacketsAndPahoAcceptsOurAnswers() throws Exception {
    client = new MqttClient("tcp://127.0.0.1:" + server.port(), DEVICE, new MemoryPersistence());
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
    assertThat(server.next()).isEqualTo(new Connect(false, 1, DEVICE,
        Optional.of(new Will("devices/" + DEVICE + "/messages/events/will", ByteString.fromString("gone"), 1, true)),
        Optional.of(USERNAME), Optional.of(ByteString.fromString("SharedAccessSignature sr=x&sig=y"))));

    // QoS 1 returns only after our PUBACK reached Paho.
    byte[] json = "{\"temperature\":21.5}".getBytes(StandardCharsets.UTF_8);
    client.publish(TELEMETRY, json, 1, false);
    assertThat(server.next()).isInstanceOfSatisfying(Publish.class, p -> {
      assertThat(p.topic()).isEqualTo(TELEMETRY);
      assertThat(p.qos()).isEqualTo(1);
      assertThat(p.packetId()).isPositive();
      assertThat(p.dup()).isFalse();
      assertThat(p.retain()).isFalse();
      assertThat(p.payload()).isEqualTo(ByteString.fromArray(json));
    });

    client.publish(TELEMETRY, new byte[0], 0, true);
    assertThat(server.next()).isEqualTo(new Publish(false, 0, true, TELEMETRY, 0, ByteString.emptyByteString()));

    client.subscribe(C2D_FILTER, 1, (topic, message) -> {
      c2dTopics.add(topic);
      c2d.complete(message);
    });
    assertThat(server.next()).isInstanceOfSatisfying(Subscribe.class,
        s -> assertThat(s.subscriptions()).containsExactly(new Subscription(C2D_FILTER, 1)));
    // Paho decoded our PUBLISH and acknowledged it with its own PUBACK.
    MqttMessage delivered = c2d.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    assertThat(ByteString.fromArray(delivered.getPayload())).isEqualTo(LoopbackMqttServer.DELIVERY);
    assertThat(c2dTopics).containsExactly(C2D_TOPIC);
    assertThat(server.next()).isEqualTo(new PubAck(LoopbackMqttServer.DELIVERY_ID));

    client.unsubscribe(C2D_FILTER);
    assertThat(server.next()).isInstanceOfSatisfying(Unsubscribe.class,
        u -> assertThat(u.topicFilters()).containsExactly(C2D_FILTER));

    // Stay quiet past the 1 s keep-alive so Paho sends PINGREQ and needs our PINGRESP.
    server.awaitPing();
    assertThat(client.isConnected()).isTrue();

    client.disconnect();
    assertThat(server.next()).isEqualTo(new Disconnect());
  }
}

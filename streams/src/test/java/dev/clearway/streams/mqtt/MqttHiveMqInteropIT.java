package dev.clearway.streams.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.Disconnect;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import dev.clearway.streams.mqtt.MqttPacket.Subscribe;
import dev.clearway.streams.mqtt.MqttPacket.Subscription;
import dev.clearway.streams.mqtt.MqttPacket.Unsubscribe;
import dev.clearway.streams.mqtt.MqttPacket.Will;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Interop with a second independent client, the HiveMQ MQTT client (Netty-based, MQTT 3.1.1 mode),
 * against {@link LoopbackMqttServer}: a module identity, a will with QoS 0, a clean session and two
 * filters in one SUBSCRIBE.
 */
class MqttHiveMqInteropIT extends StreamTestKit {

  private static final String IDENTITY = "device-2/module-a";
  private static final String USERNAME = "hub.example.net/device-2/module-a/?api-version=2021-04-12";
  private static final String TELEMETRY = "devices/device-2/modules/module-a/messages/events/%24.on=out1";
  private static final String INPUTS = "devices/device-2/modules/module-a/#";
  private static final String TWIN = "$iothub/twin/res/#";
  private static final String INPUT_TOPIC = "devices/device-2/modules/module-a/inputs/in1/%24.cdid=device-1";

  private LoopbackMqttServer server;
  private Mqtt3BlockingClient client;

  @BeforeEach
  void startServer() throws Exception {
    server = new LoopbackMqttServer(system, INPUT_TOPIC, TIMEOUT);
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void hiveMqSessionDecodesToTheSamePacketsAndHiveMqAcceptsOurAnswers() throws Exception {
    client = Mqtt3Client.builder().identifier(IDENTITY).serverHost("127.0.0.1").serverPort(server.port()).buildBlocking();
    byte[] password = "SharedAccessSignature sr=y".getBytes(StandardCharsets.UTF_8);
    client.connectWith()
        .cleanSession(true)
        .keepAlive(1)
        .simpleAuth().username(USERNAME).password(password).applySimpleAuth()
        .willPublish().topic("devices/device-2/modules/module-a/messages/events/").payload(new byte[] {1, 2})
        .qos(MqttQos.AT_MOST_ONCE).applyWillPublish()
        .send();
    assertThat(server.next()).isEqualTo(new Connect(true, 1, IDENTITY,
        Optional.of(new Will("devices/device-2/modules/module-a/messages/events/", ByteString.fromArray(new byte[] {1, 2}), 0, false)),
        Optional.of(USERNAME), Optional.of(ByteString.fromArray(password))));

    byte[] body = new byte[1024];
    client.publishWith().topic(TELEMETRY).qos(MqttQos.AT_LEAST_ONCE).payload(body).send();
    assertThat(server.next()).isInstanceOfSatisfying(Publish.class, p -> {
      assertThat(p.topic()).isEqualTo(TELEMETRY);
      assertThat(p.qos()).isEqualTo(1);
      assertThat(p.payload()).isEqualTo(ByteString.fromArray(body));
    });

    try (Mqtt3BlockingClient.Mqtt3Publishes publishes = client.publishes(MqttGlobalPublishFilter.ALL)) {
      client.subscribeWith()
          .addSubscription().topicFilter(INPUTS).qos(MqttQos.AT_LEAST_ONCE).applySubscription()
          .addSubscription().topicFilter(TWIN).qos(MqttQos.AT_MOST_ONCE).applySubscription()
          .send();
      assertThat(server.next()).isInstanceOfSatisfying(Subscribe.class, s -> assertThat(s.subscriptions())
          .isEqualTo(List.of(new Subscription(INPUTS, 1), new Subscription(TWIN, 0))));
      Optional<Mqtt3Publish> delivered = publishes.receive(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      assertThat(delivered).hasValueSatisfying(m -> {
        assertThat(m.getTopic().toString()).isEqualTo(INPUT_TOPIC);
        assertThat(ByteString.fromArray(m.getPayloadAsBytes())).isEqualTo(LoopbackMqttServer.DELIVERY);
      });
    }
    assertThat(server.next()).isEqualTo(new PubAck(LoopbackMqttServer.DELIVERY_ID));

    client.unsubscribeWith().topicFilter(TWIN).send();
    assertThat(server.next()).isInstanceOfSatisfying(Unsubscribe.class,
        u -> assertThat(u.topicFilters()).containsExactly(TWIN));

    server.awaitPing();
    client.disconnect();
    assertThat(server.next()).isEqualTo(new Disconnect());
  }
}

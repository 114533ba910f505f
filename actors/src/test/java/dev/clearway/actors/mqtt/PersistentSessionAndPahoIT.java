package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAck;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.GatewayIT;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.session.DeviceSession;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import dev.clearway.tls.SasToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

/** Clean session 0 keeps subscriptions across reconnects; Paho speaks IoT Hub's topics to the gateway. */
class PersistentSessionAndPahoIT extends GatewayIT {
  @Override
  protected int port() {
    return 0;
  }

  private String token(String id, Credentials.SymmetricKey keys) {
    return SasToken.create(GatewayFixture.HUB + "/devices/" + id, keys.primaryKey(), Instant.now().plusSeconds(600));
  }

  private Mqtt3BlockingClient hivemq(String id) throws Exception {
    return MqttClient.builder().useMqttVersion3().identifier(id).serverHost("127.0.0.1").serverPort(gateway.port())
        .sslConfig().trustManagerFactory(gateway.clientTrustManagers()).applySslConfig().buildBlocking();
  }

  private Mqtt3ConnAck connect(Mqtt3BlockingClient c, String id, Credentials.SymmetricKey keys, boolean cleanSession) {
    return c.connectWith().cleanSession(cleanSession)
        .simpleAuth().username(GatewayFixture.HUB + "/" + id + "/?api-version=2021-04-12")
        .password(token(id, keys).getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
        .send();
  }

  private DeviceSession.MethodResult invoke(String id) {
    TestProbe<DeviceSession.MethodResult> hub = TestProbe.create(gateway.gateway().system());
    ClusterSharding.get(gateway.gateway().system()).entityRefFor(DeviceSession.TYPE_KEY, id)
        .tell(new DeviceSession.InvokeMethod("ping", "{}".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10), hub.getRef()));
    return hub.expectMessageClass(DeviceSession.MethodResult.class, Duration.ofSeconds(15));
  }

  @Test
  void cleanSession0RestoresSubscriptionsOnReconnectAndCleanSession1ForgetsThem() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("persistent", null);
    Mqtt3BlockingClient first = hivemq("persistent");
    assertThat(connect(first, "persistent", keys, false).isSessionPresent()).isFalse();
    first.subscribeWith().topicFilter("$iothub/methods/POST/#").qos(MqttQos.AT_LEAST_ONCE).send();
    first.disconnect();

    Mqtt3BlockingClient second = hivemq("persistent");
    BlockingQueue<Mqtt3Publish> requests = new LinkedBlockingQueue<>();
    second.toAsync().publishes(MqttGlobalPublishFilter.ALL, p -> {
      requests.add(p);
      String rid = p.getTopic().toString().substring(p.getTopic().toString().indexOf("$rid=") + 5);
      second.toAsync().publishWith().topic("$iothub/methods/res/200/?$rid=" + rid).payload("{\"pong\":true}".getBytes(StandardCharsets.UTF_8)).send();
    });
    assertThat(connect(second, "persistent", keys, false).isSessionPresent()).as("session present").isTrue();

    DeviceSession.MethodResult result = invoke("persistent"); // no SUBSCRIBE on this connection
    assertThat(result.status()).isEqualTo(200);
    assertThat(requests.poll(5, TimeUnit.SECONDS).getTopic().toString()).startsWith("$iothub/methods/POST/ping/?$rid=");
    second.disconnect();

    Mqtt3BlockingClient third = hivemq("persistent");
    assertThat(connect(third, "persistent", keys, true).isSessionPresent()).isFalse();
    assertThat(invoke("persistent").status()).as("a clean session has no method subscription").isEqualTo(404);
    third.disconnect();
  }

  @Test
  void pahoPublishesTelemetryAndAnswersAMethod() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("paho-device", null);
    org.eclipse.paho.client.mqttv3.MqttClient paho = new org.eclipse.paho.client.mqttv3.MqttClient(
        "ssl://127.0.0.1:" + gateway.port(), "paho-device", new MemoryPersistence());
    MqttConnectOptions options = new MqttConnectOptions();
    options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
    options.setUserName(GatewayFixture.HUB + "/paho-device/?api-version=2021-04-12");
    options.setPassword(token("paho-device", keys).toCharArray());
    options.setSocketFactory(gateway.clientTrust().getSocketFactory());
    options.setHttpsHostnameVerificationEnabled(false); // Paho's check does not handle IP SANs; the trust check still runs
    gateway.received().clear();
    try {
      paho.connect(options);
      paho.subscribe("$iothub/methods/POST/#", 1, (topic, message) -> {
        String rid = topic.substring(topic.indexOf("$rid=") + 5);
        paho.publish("$iothub/methods/res/202/?$rid=" + rid, "{\"from\":\"paho\"}".getBytes(StandardCharsets.UTF_8), 0, false);
      });
      paho.publish("devices/paho-device/messages/events/%24.ct=application%2Fjson&site=north",
          "{\"level\":4}".getBytes(StandardCharsets.UTF_8), 1, false);

      Message m = gateway.nextMessage(Duration.ofSeconds(10));
      assertThat(m.systemProperty(SystemProperty.CONTENT_TYPE)).isEqualTo("application/json");
      assertThat(m.properties()).containsEntry("site", "north");
      DeviceSession.MethodResult result = invoke("paho-device");
      assertThat(result.status()).isEqualTo(202);
      assertThat(new String(result.payload(), StandardCharsets.UTF_8)).isEqualTo("{\"from\":\"paho\"}");
      assertThat(paho.getPendingDeliveryTokens()).as("every QoS 1 publish was acknowledged").isEmpty();
    } finally {
      // Paho quiesces for the whole timeout before it sends DISCONNECT when a callback has
      // published (the method answer above); the gateway logs the DISCONNECT only then.
      paho.disconnect(2000);
      paho.close();
    }
  }
}

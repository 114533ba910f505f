package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.GatewayIT;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Message;
import dev.clearway.tls.SasToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Plain MQTT behaviour with the HiveMQ MQTT client (a client no one here wrote), speaking IoT Hub's
 * topics by hand: token expiry, impersonation, one connection per identity, QoS rules.
 */
class RawClientBehaviourIT extends GatewayIT {
  @Override
  protected int port() {
    return 0;
  }

  @Override
  protected String extraConfig() {
    return "clearway.routes.upstream = \"FROM /messages/* WHERE NOT IS_DEFINED(skip) INTO $upstream\"\n";
  }

  private Mqtt3BlockingClient client(String clientId) throws Exception {
    return MqttClient.builder().useMqttVersion3().identifier(clientId)
        .serverHost(GatewayFixture.GATEWAY_HOST).serverPort(gateway.port())
        .sslConfig().trustManagerFactory(gateway.clientTrustManagers()).applySslConfig()
        .buildBlocking();
  }

  private static String username(String id) {
    return GatewayFixture.HUB + "/" + id + "/?api-version=2021-04-12";
  }

  private Mqtt3BlockingClient connected(String deviceId, Credentials.SymmetricKey keys) throws Exception {
    Mqtt3BlockingClient c = client(deviceId);
    String token = SasToken.create(GatewayFixture.HUB + "/devices/" + deviceId, keys.primaryKey(), Instant.now().plusSeconds(600));
    c.connectWith().cleanSession(true).keepAlive(60)
        .simpleAuth().username(username(deviceId)).password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
        .send();
    return c;
  }

  @Test
  void anExpiredTokenIsRefusedWithBadUserNameOrPassword() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("expired-1", null);
    String expired = SasToken.create(GatewayFixture.HUB + "/devices/expired-1", keys.primaryKey(), Instant.now().minusSeconds(60));
    Mqtt3BlockingClient c = client("expired-1");

    assertThatThrownBy(() -> c.connectWith()
            .simpleAuth().username(username("expired-1")).password(expired.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
            .send())
        .isInstanceOfSatisfying(Mqtt3ConnAckException.class, e ->
            assertThat(e.getMqttMessage().getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD));
  }

  @Test
  void aDeviceOutsideTheGatewaysScopeIsNotAuthorizedAndAlwaysGetsTheCodeBeforeTheClose() throws Exception {
    Credentials.SymmetricKey strangerKeys = Credentials.SymmetricKey.generate(); // never registered
    String token = SasToken.create(GatewayFixture.HUB + "/devices/stranger", strangerKeys.primaryKey(), Instant.now().plusSeconds(60));
    // Repeated: the CONNACK is queued just before the close, and must never be lost to it.
    for (int i = 0; i < 25; i++) {
      Mqtt3BlockingClient c = client("stranger");
      assertThatThrownBy(() -> c.connectWith()
              .simpleAuth().username(username("stranger")).password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
              .send())
          .as("attempt %d", i)
          .isInstanceOfSatisfying(Mqtt3ConnAckException.class, e ->
              assertThat(e.getMqttMessage().getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED));
    }
  }

  @Test
  void publishingOnAnotherDevicesTopicDisconnectsAndNothingIsRouted() throws Exception {
    Mqtt3BlockingClient c = connected("honest-1", gateway.addSas("honest-1", null));
    gateway.addSas("victim-1", null);
    long before = gateway.gateway().counters().get(GatewayCounters.UNAUTHORIZED_TOPIC, "publish");
    gateway.received().clear();

    try {
      c.publishWith().topic("devices/victim-1/messages/events/").qos(MqttQos.AT_LEAST_ONCE)
          .payload("spoofed".getBytes(StandardCharsets.UTF_8)).send();
    } catch (RuntimeException expected) {
      // the gateway closes the connection instead of acknowledging
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> !c.getState().isConnected());
    assertThat(gateway.gateway().counters().get(GatewayCounters.UNAUTHORIZED_TOPIC, "publish")).isEqualTo(before + 1);
    assertThat(gateway.received()).isEmpty();
  }

  @Test
  void subscribingToAnotherDevicesMessagesDisconnects() throws Exception {
    Mqtt3BlockingClient c = connected("honest-2", gateway.addSas("honest-2", null));

    try {
      c.subscribeWith().topicFilter("devices/victim-2/messages/devicebound/#").qos(MqttQos.AT_LEAST_ONCE).send();
    } catch (RuntimeException expected) {
      // closed instead of SUBACK
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> !c.getState().isConnected());
  }

  @Test
  void aSecondConnectionForTheSameIdentityClosesTheFirst() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("twice", null);
    Mqtt3BlockingClient first = connected("twice", keys);

    Mqtt3BlockingClient second = connected("twice", keys);

    await().atMost(Duration.ofSeconds(10)).until(() -> !first.getState().isConnected());
    assertThat(second.getState().isConnected()).isTrue();
    second.publishWith().topic("devices/twice/messages/events/a=1").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
    Message m = gateway.nextMessage(Duration.ofSeconds(10));
    assertThat(m.properties()).containsEntry("a", "1");
    second.disconnect();
  }

  @Test
  void aQos2PublishClosesTheConnectionAndAQos2SubscriptionIsGrantedQos1() throws Exception {
    Mqtt3BlockingClient c = connected("qos-device", gateway.addSas("qos-device", null));

    var suback = c.subscribeWith().topicFilter("devices/qos-device/messages/devicebound/#").qos(MqttQos.EXACTLY_ONCE).send();
    assertThat(suback.getReturnCodes()).extracting(Enum::name).containsExactly("SUCCESS_MAXIMUM_QOS_1");
    try {
      c.publishWith().topic("devices/qos-device/messages/events/").qos(MqttQos.EXACTLY_ONCE).payload(new byte[] {1}).send();
    } catch (RuntimeException expected) {
      // closed: IoT Hub has no QoS 2
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> !c.getState().isConnected());
  }

  @Test
  void aMessageNoRouteMatchesIsAcknowledgedCountedAndNotStored() throws Exception {
    Mqtt3BlockingClient c = connected("unrouted", gateway.addSas("unrouted", null));
    long before = gateway.gateway().counters().get(GatewayCounters.MESSAGES_DROPPED, "no_route");

    // A QoS 1 publish returns only after the PUBACK.
    c.publishWith().topic("devices/unrouted/messages/events/skip=1").qos(MqttQos.AT_LEAST_ONCE).payload("x".getBytes(StandardCharsets.UTF_8)).send();

    assertThat(gateway.gateway().counters().get(GatewayCounters.MESSAGES_DROPPED, "no_route")).isEqualTo(before + 1);
    assertThat(gateway.gateway().store().next(new dev.clearway.routes.Endpoint.Upstream(), 1000, 1 << 24))
        .noneMatch(s -> "unrouted".equals(s.message().systemProperty(dev.clearway.routes.SystemProperty.CONNECTION_DEVICE_ID)));
    c.disconnect();
  }

  @Test
  void retainBecomesAnApplicationPropertyAndQos0TelemetryIsRouted() throws Exception {
    Mqtt3BlockingClient c = connected("retainer", gateway.addSas("retainer", null));
    gateway.received().clear();

    c.publishWith().topic("devices/retainer/messages/events/%24.ct=text%2Fplain").qos(MqttQos.AT_MOST_ONCE).retain(true)
        .payload("r".getBytes(StandardCharsets.UTF_8)).send();

    Message m = gateway.nextMessage(Duration.ofSeconds(10));
    assertThat(m.properties()).containsEntry("mqtt-retain", "true");
    assertThat(m.systemProperty(dev.clearway.routes.SystemProperty.CONTENT_TYPE)).isEqualTo("text/plain");
    c.disconnect();
  }
}

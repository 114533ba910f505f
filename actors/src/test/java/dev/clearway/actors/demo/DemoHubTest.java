package dev.clearway.actors.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.clearway.actors.identity.Authenticator;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.streams.iothub.HubTopics;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.tls.ClientTls;
import dev.clearway.tls.DemoPki;
import dev.clearway.tls.ServerTls;
import dev.clearway.tls.SasToken;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo's hub stand-in, driven by the HiveMQ MQTT client over TLS as the gateway's uplink drives
 * it: it checks user name and SAS token as IoT Hub does, refusing with CONNACK 4 or 5, and
 * acknowledges telemetry after handing it on.
 */
class DemoHubTest {
  private static final String HUB = "demo-hub-test.azure-devices.net";
  private static final String DEVICE = "sensor-1";

  private static Path dir;
  private static ActorSystem<Void> system;
  private static DemoHub hub;
  private static String key;
  private static final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  private final List<Mqtt3BlockingClient> clients = new ArrayList<>();

  @BeforeAll
  static void startHub() throws Exception {
    dir = Files.createTempDirectory("demo-hub-test-");
    Clock clock = Clock.systemUTC();
    DemoPki.createRootCa(dir, DemoPki.Options.defaults(), clock);
    IdentityRegistry registry = IdentityRegistry.open(dir, Duration.ZERO, clock);
    Credentials.SymmetricKey keys = Credentials.SymmetricKey.generate();
    registry.add(new Identity(DEVICE, Optional.empty(), keys));
    registry.add(new Identity("x509-device", Optional.empty(), new Credentials.X509Ca()));
    key = keys.primaryKey();
    Config config = ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "demo-hub-test", config);
    hub = DemoHub.start(system, "127.0.0.1",
        ServerTls.fixed(DemoPki.issueServer(dir, List.of("127.0.0.1"), Duration.ofDays(1), clock), List.of("TLSv1.3", "TLSv1.2")),
        HUB, new Authenticator(registry, Set.of(HUB), List::of, clock), MqttSettings.create(config), 10, Duration.ofSeconds(30),
        (identity, body) -> received.add(identity + ": " + body.utf8String()));
  }

  @AfterAll
  static void stopHub() throws Exception {
    hub.close();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void disconnect() {
    clients.forEach(c -> {
      try {
        c.disconnect();
      } catch (RuntimeException e) {
        // refused ones were never connected
      }
    });
  }

  private Mqtt3BlockingClient client(String id) {
    Mqtt3BlockingClient c = MqttClient.builder().useMqttVersion3().identifier(id)
        .serverHost("127.0.0.1").serverPort(hub.address().getPort())
        .sslConfig().trustManagerFactory(ClientTls.trustManagerFactory(Optional.of(DemoPki.rootCaCert(dir)), "test")).applySslConfig()
        .buildBlocking();
    clients.add(c);
    return c;
  }

  private void connect(Mqtt3BlockingClient client, String userName, String token) {
    client.connectWith().cleanSession(false).simpleAuth().username(userName).password(token.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
  }

  /**
   * Connects as {@code clientId} with the user name of {@code userNameId} and a token for {@code
   * resource}; returns the CONNACK code of the refusal (the hub counts each one).
   */
  private Mqtt3ConnAckReturnCode refusal(String clientId, String userNameId, String resource, String signingKey, Instant expiry) {
    long before = hub.refusals();
    Mqtt3BlockingClient c = client(clientId);
    try {
      connect(c, HubTopics.userName(HUB, userNameId), SasToken.create(resource, signingKey, expiry));
    } catch (Mqtt3ConnAckException e) {
      assertThat(hub.refusals()).isEqualTo(before + 1);
      return e.getMqttMessage().getReturnCode();
    }
    throw new AssertionError("the hub accepted the connection");
  }

  @Test
  void aDeviceWithItsOwnTokenForTheHubIsAcceptedAndItsTelemetryAcknowledgedAfterItWasHandedOn() throws Exception {
    Mqtt3BlockingClient c = client(DEVICE);
    connect(c, HubTopics.userName(HUB, DEVICE), SasToken.create(HUB + "/devices/" + DEVICE, key, Instant.now().plusSeconds(300)));

    // The blocking QoS 1 publish returns with the hub's PUBACK.
    c.publishWith().topic("devices/" + DEVICE + "/messages/events/$.ct=application%2Fjson").qos(MqttQos.AT_LEAST_ONCE)
        .payload("{\"seq\":1}".getBytes(StandardCharsets.UTF_8)).send();

    assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo(DEVICE + ": {\"seq\":1}");
  }

  @Test
  void aTokenSignedWithAnotherKeyGetsConnack4() {
    String wrongKey = Credentials.SymmetricKey.generate().primaryKey();
    assertThat(refusal(DEVICE, DEVICE, HUB + "/devices/" + DEVICE, wrongKey, Instant.now().plusSeconds(300)))
        .isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD);
  }

  @Test
  void anExpiredTokenGetsConnack4() {
    assertThat(refusal(DEVICE, DEVICE, HUB + "/devices/" + DEVICE, key, Instant.now().minusSeconds(5)))
        .isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD);
  }

  @Test
  void aUserNameForAnotherIdentityGetsConnack4() {
    assertThat(refusal(DEVICE, "someone-else", HUB + "/devices/" + DEVICE, key, Instant.now().plusSeconds(300)))
        .isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD);
  }

  @Test
  void aTokenForAnotherHostGetsConnack5() {
    // Signed with the right key, but for the gateway's host name: IoT Hub only accepts its own.
    assertThat(refusal(DEVICE, DEVICE, "127.0.0.1/devices/" + DEVICE, key, Instant.now().plusSeconds(300)))
        .isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
  }

  @Test
  void aDeviceTheHubDoesNotKnowGetsConnack5() {
    assertThat(refusal("stranger", "stranger", HUB + "/devices/stranger", key, Instant.now().plusSeconds(300)))
        .isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
  }

  @Test
  void aDeviceWithoutASymmetricKeyGetsConnack5() {
    assertThat(refusal("x509-device", "x509-device", HUB + "/devices/x509-device", key, Instant.now().plusSeconds(300)))
        .isEqualTo(Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
  }
}

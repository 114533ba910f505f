package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import dev.clearway.actors.Gateway;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.config.GatewayConfig;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Endpoint;
import dev.clearway.tls.SasToken;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Editing the operator's configuration file changes the routes of a running gateway: a set with an
 * error is rejected and the running one keeps working; a good set applies at once, to the same
 * connection, which is never dropped.
 */
class RouteReloadIT {
  @TempDir Path dir;

  private Path file;
  private int edits;

  private void writeRoutes(String route) throws Exception {
    Files.writeString(file, """
        clearway.tls.hostname = "%s"
        clearway.hub.hostname = "%s"
        clearway.mqtt.bind-address = "127.0.0.1"
        clearway.mqtt.port = 0
        clearway.route-reload.check-interval = 100ms
        clearway.metrics.host = "127.0.0.1"
        clearway.metrics.port = 0
        pekko.remote.artery.canonical.port = 0
        clearway.routes.main = "%s"
        """.formatted(GatewayFixture.GATEWAY_HOST, GatewayFixture.HUB, route.replace("\"", "\\\"")));
    // A distinct modification time for every edit, whatever the file system's clock resolution.
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(++edits)));
  }

  @Test
  void aBadRouteSetIsRejectedAndAGoodOneAppliesWithoutDroppingTheConnection() throws Exception {
    file = dir.resolve("gateway.conf");
    writeRoutes("FROM /messages/* WHERE NOT IS_DEFINED(skip) INTO $upstream");
    Gateway gateway = Gateway.start(GatewayConfig.load(Optional.of(file)), dir.resolve("data"), (m, ref) -> { }, Optional.of(file));
    try {
      Credentials.SymmetricKey keys = Credentials.SymmetricKey.generate();
      gateway.registry().add(new Identity("reloaded", Optional.empty(), keys));
      Mqtt3BlockingClient device = connect(gateway, keys);
      GatewayCounters counters = gateway.counters();

      publishSkipped(device);
      assertThat(counters.get(GatewayCounters.MESSAGES_DROPPED, "no_route")).isEqualTo(1);

      writeRoutes("FROM /messages/* WHERE skip == 1 INTO $upstream"); // '==' is not an operator
      await().atMost(Duration.ofSeconds(10)).until(() -> counters.get(GatewayCounters.ROUTE_RELOAD, "rejected") == 1);
      publishSkipped(device);
      assertThat(counters.get(GatewayCounters.MESSAGES_DROPPED, "no_route")).as("the running set still applies").isEqualTo(2);

      writeRoutes("FROM /messages/* INTO $upstream");
      await().atMost(Duration.ofSeconds(10)).until(() -> counters.get(GatewayCounters.ROUTE_RELOAD, "replaced") == 1);
      publishSkipped(device);
      assertThat(counters.get(GatewayCounters.MESSAGES_DROPPED, "no_route")).isEqualTo(2);
      assertThat(gateway.store().next(new Endpoint.Upstream(), 10, 1 << 20)).hasSize(1);
      assertThat(device.getState().isConnected()).as("the same connection throughout").isTrue();
      device.disconnect();
    } finally {
      gateway.close();
    }
  }

  private static void publishSkipped(Mqtt3BlockingClient device) {
    // QoS 1: returns after the PUBACK, so the router has handled the message.
    device.publishWith().topic("devices/reloaded/messages/events/skip=1").qos(MqttQos.AT_LEAST_ONCE)
        .payload("m".getBytes(StandardCharsets.UTF_8)).send();
  }

  private Mqtt3BlockingClient connect(Gateway gateway, Credentials.SymmetricKey keys) throws Exception {
    TrustManagerFactory tmf = GatewayFixture.trusting(gateway.tls().trustedRoots());
    Mqtt3BlockingClient c = MqttClient.builder().useMqttVersion3().identifier("reloaded").serverHost("127.0.0.1")
        .serverPort(gateway.mqttAddress().getPort()).sslConfig().trustManagerFactory(tmf).applySslConfig().buildBlocking();
    String token = SasToken.create(GatewayFixture.HUB + "/devices/reloaded", keys.primaryKey(), Instant.now().plusSeconds(300));
    c.connectWith().simpleAuth().username(GatewayFixture.HUB + "/reloaded/?api-version=2021-04-12")
        .password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send();
    return c;
  }
}

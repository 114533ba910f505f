package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.typesafe.config.ConfigFactory;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.metrics.PrometheusText;
import dev.clearway.routes.Endpoint;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.StoreSettings;
import dev.clearway.tls.Pem;
import dev.clearway.tls.SasToken;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code clearway run} as an operator runs it: the jar in its own JVM with a configuration file,
 * a device added with {@code clearway devices add} while it runs, and SIGTERM for a graceful stop.
 */
class RunCommandIT {
  private static final String HUB = "run-test-hub.azure-devices.net";
  @TempDir Path dir;

  @Test
  void theGatewayRunsServesADeviceAddedWhileRunningAndStopsGracefully() throws Exception {
    Path config = dir.resolve("gateway.conf");
    Files.writeString(config, """
        clearway.tls.hostname = "127.0.0.1"
        clearway.hub.hostname = "%s"
        clearway.mqtt.bind-address = "127.0.0.1"
        clearway.mqtt.port = 0
        clearway.identities.reload-check-interval = 200ms
        clearway.routes.upstream = "FROM /messages/* INTO $upstream"
        pekko.remote.artery.canonical.port = 0
        """.formatted(HUB));
    Path data = dir.resolve("data");
    Path log = dir.resolve("gateway.log");
    Process gateway = ClearwayJar.start(dir, log, "run", "--config", config.toString(), "--data-dir", data.toString());
    try {
      int port = ClearwayJar.awaitListeningPort(log, gateway);
      assertThat(Files.readString(log)).contains("devices must trust the root CA " + data.toAbsolutePath().resolve("certs/azure-iot-test-only.root.ca.cert.pem"));

      ClearwayJar.Result added = ClearwayJar.run(dir, "devices", "add", "--config", config.toString(), "--data-dir", data.toString(),
          "--id", "late-sensor");
      assertThat(added.code()).as(added.err()).isZero();
      String connectionString = added.out().lines().filter(l -> l.startsWith("HostName=")).findFirst().orElseThrow();
      assertThat(connectionString).startsWith("HostName=" + HUB + ";DeviceId=late-sensor;SharedAccessKey=").endsWith(";GatewayHostName=127.0.0.1");
      String key = connectionString.replaceAll(".*SharedAccessKey=([^;]+);.*", "$1");

      Mqtt3BlockingClient device = MqttClient.builder().useMqttVersion3().identifier("late-sensor").serverHost("127.0.0.1").serverPort(port)
          .sslConfig().trustManagerFactory(GatewayFixture.trusting(Pem.readCertificates(data.resolve("certs/azure-iot-test-only.root.ca.cert.pem"))))
          .applySslConfig()
          .buildBlocking();
      String token = SasToken.create(HUB + "/devices/late-sensor", key, Instant.now().plusSeconds(300));
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
        device.connectWith().simpleAuth().username(HUB + "/late-sensor/?api-version=2021-04-12")
            .password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send();
        return true;
      });
      // A QoS 1 publish returns once the gateway acknowledged it: the router's ingress has it.
      device.publishWith().topic("devices/late-sensor/messages/events/").qos(MqttQos.AT_LEAST_ONCE)
          .payload("hello".getBytes(StandardCharsets.UTF_8)).send();
      device.disconnect();

      // The shipped jar serves its metrics (on the free port the test asked for) and says where.
      Matcher metrics = Pattern.compile("Metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics")
          .matcher(Files.readString(log));
      assertThat(metrics.find()).as("the start log names the metrics address").isTrue();
      String base = "http://127.0.0.1:" + metrics.group(1);
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(PrometheusText.sum(PrometheusText.parse(scrape.body()), "edgehub_messages_received_total", Map.of("id", "late-sensor")))
          .isEqualTo(1);
      assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);

      gateway.destroy(); // SIGTERM, as systemd or Ctrl-C would stop it
      assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
      assertThat(Files.readString(log)).contains("Shutting down").contains("Gateway stopped");
      // The acknowledged message outlived the process: it waits in the $upstream queue on disk.
      try (MessageStore store = MessageStore.open(data.resolve("store"), StoreSettings.create(ConfigFactory.defaultReference().resolve()))) {
        assertThat(store.next(new Endpoint.Upstream(), 10, 1 << 20)).extracting(m -> new String(m.message().body(), StandardCharsets.UTF_8))
            .containsExactly("hello");
      }
    } finally {
      gateway.destroyForcibly();
    }
  }
}

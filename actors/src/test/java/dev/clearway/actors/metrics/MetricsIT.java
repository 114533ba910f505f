package dev.clearway.actors.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import dev.clearway.actors.Gateway;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.hub.HubStandIn;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.tls.SasToken;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics endpoint of a running gateway, scraped with the JDK's HTTP client while real parts
 * work on both ends: devices are HiveMQ MQTT clients (a client no one here wrote), the hub is the
 * stand-in broker. Values are asserted exactly, every line of every scrape must be Prometheus text
 * 0.0.4, and the Grafana dashboard in conf/ may only query metrics a real scrape has.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String GATEWAY_ID = "metrics-gw";
  private static final Path DASHBOARD = Path.of("..", "conf", "grafana-dashboard.json");

  @TempDir static Path dataDir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private HubStandIn hub;
  private GatewayFixture gateway;

  @BeforeAll
  void start() throws Exception {
    hub = HubStandIn.start(GatewayFixture.HUB);
    gateway = GatewayFixture.start(dataDir, 0, hub.registerGatewayConfig(GATEWAY_ID) + """
        clearway.upstream.reconnect.max-backoff = 1s
        clearway.routes.upstream = "FROM /messages/* WHERE NOT IS_DEFINED(drop) INTO $upstream"
        """);
  }

  @AfterAll
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  // --- HTTP ------------------------------------------------------------------------------------------

  private HttpResponse<String> get(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + gateway.gateway().metricsAddress().orElseThrow().getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A scrape, checked: 200, Prometheus' content type, every line text format 0.0.4. */
  private List<PrometheusText.Sample> scrape() throws Exception {
    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).isEqualToIgnoringCase("text/plain; version=0.0.4; charset=utf-8"));
    return PrometheusText.parse(r.body());
  }

  private double value(String name, Map<String, String> labels) throws Exception {
    return PrometheusText.sum(scrape(), name, labels);
  }

  // --- devices ---------------------------------------------------------------------------------------

  private Mqtt3BlockingClient client(String id) {
    try {
      return MqttClient.builder().useMqttVersion3().identifier(id).serverHost(GatewayFixture.GATEWAY_HOST).serverPort(gateway.port())
          .sslConfig().trustManagerFactory(gateway.clientTrustManagers()).applySslConfig().buildBlocking();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void connect(Mqtt3BlockingClient c, String id, String key) {
    String token = SasToken.create(GatewayFixture.HUB + "/devices/" + id, key, Instant.now().plusSeconds(600));
    c.connectWith().cleanSession(true).keepAlive(60)
        .simpleAuth().username(GatewayFixture.HUB + "/" + id + "/?api-version=2021-04-12").password(token.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();
  }

  /** A SAS device the gateway and the hub both know, with the same key. */
  private String register(String id) throws Exception {
    String key = gateway.addSas(id, null).primaryKey();
    hub.registerDevice(id, key);
    return key;
  }

  /** The next PUBLISH whose topic starts with {@code prefix}, skipping others; fails after {@link #WAIT}. */
  private static Mqtt3Publish awaitPublish(Mqtt3BlockingClient.Mqtt3Publishes publishes, String prefix) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Mqtt3Publish> p = publishes.receive(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (p.isPresent() && p.get().getTopic().toString().startsWith(prefix)) {
        return p.get();
      }
    }
    throw new AssertionError("no PUBLISH on " + prefix + "… within " + WAIT);
  }

  /** What {@link #exercise} did. */
  private record Traffic(Mqtt3BlockingClient client, int routed, long bytes) {}

  /**
   * A device's day, on one connection that stays open: one refused connect before (a wrong key),
   * {@code n} routed telemetry messages and one no route takes, a twin GET, a reported patch, and a
   * direct method from the hub, answered. Returns once the hub confirmed the routed messages.
   */
  private Traffic exercise(String id, int n) throws Exception {
    String key = register(id);
    Mqtt3BlockingClient refused = client(id);
    assertThatThrownBy(() -> connect(refused, id, Credentials.SymmetricKey.generate().primaryKey()))
        .isInstanceOfSatisfying(Mqtt3ConnAckException.class, e ->
            assertThat(e.getMqttMessage().getReturnCode()).isEqualTo(Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD));

    Mqtt3BlockingClient device = client(id);
    connect(device, id, key);
    // The device's arrival opens its identity's hub connection; the hub calls methods only through it.
    await().atMost(WAIT).until(() -> hub.subscriptions(id).contains("$iothub/methods/POST/#"));
    long bytes = 0;
    try (Mqtt3BlockingClient.Mqtt3Publishes publishes = device.publishes(MqttGlobalPublishFilter.ALL)) {
      device.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_MOST_ONCE).send();
      device.subscribeWith().topicFilter("$iothub/methods/POST/#").qos(MqttQos.AT_MOST_ONCE).send();
      for (int i = 0; i < n; i++) {
        byte[] body = ("{\"reading\":" + i + "}").getBytes(StandardCharsets.UTF_8);
        bytes += body.length;
        // QoS 1: send returns once the gateway stored the message.
        device.publishWith().topic("devices/" + id + "/messages/events/").qos(MqttQos.AT_LEAST_ONCE).payload(body).send();
      }
      byte[] unrouted = "{\"reading\":-1}".getBytes(StandardCharsets.UTF_8);
      bytes += unrouted.length;
      device.publishWith().topic("devices/" + id + "/messages/events/drop=yes").qos(MqttQos.AT_LEAST_ONCE).payload(unrouted).send();

      device.publishWith().topic("$iothub/twin/GET/?$rid=1").qos(MqttQos.AT_MOST_ONCE).send();
      awaitPublish(publishes, "$iothub/twin/res/");
      device.publishWith().topic("$iothub/twin/PATCH/properties/reported/?$rid=2").qos(MqttQos.AT_MOST_ONCE)
          .payload("{\"firmware\":\"1.2\"}".getBytes(StandardCharsets.UTF_8)).send();
      awaitPublish(publishes, "$iothub/twin/res/204/");

      var call = hub.invokeMethod(id, "ping", "{}".getBytes(StandardCharsets.UTF_8), WAIT);
      Mqtt3Publish request = awaitPublish(publishes, "$iothub/methods/POST/ping/");
      Matcher rid = Pattern.compile("\\$rid=([^&]+)").matcher(request.getTopic().toString());
      assertThat(rid.find()).isTrue();
      device.publishWith().topic("$iothub/methods/res/200/?$rid=" + rid.group(1)).qos(MqttQos.AT_MOST_ONCE)
          .payload("{\"pong\":true}".getBytes(StandardCharsets.UTF_8)).send();
      assertThat(call.get(WAIT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);
    }
    await().atMost(WAIT).until(() -> hub.telemetry().stream().filter(t -> t.identity().equals(id)).count() == n);
    return new Traffic(device, n, bytes);
  }

  // --- tests -----------------------------------------------------------------------------------------

  @Test
  void aRunningGatewayIsLiveAndReady() throws Exception {
    HttpResponse<String> live = get("/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).isEqualTo("live\n");
    HttpResponse<String> ready = get("/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready\n");
  }

  @Test
  void aDevicesTrafficIsCountedExactlyUnderIotEdgesNames() throws Exception {
    String id = "metered-1";
    Traffic t = exercise(id, 20);
    Map<String, String> device = Map.of("id", id);
    Map<String, String> from = Map.of("from", id);
    // Sent counts the hub's PUBACKs and the store's queue empties once they are written: wait for both.
    await().atMost(WAIT).until(() -> value("edgehub_messages_sent_total", from) >= t.routed()
        && value("edgehub_queue_length", Map.of("endpoint", "$upstream")) == 0
        && value("edgehub_reported_properties_total", Map.of("target", "upstream", "id", id)) >= 1);

    List<PrometheusText.Sample> s = scrape();
    assertThat(PrometheusText.only(s, "edgehub_messages_received_total", Map.of("id", id, "route_output", "")).value()).isEqualTo(t.routed() + 1);
    assertThat(PrometheusText.only(s, "edgehub_message_size_bytes_count", device).value()).isEqualTo(t.routed() + 1);
    assertThat(PrometheusText.only(s, "edgehub_message_size_bytes_sum", device).value()).isEqualTo(t.bytes());
    assertThat(PrometheusText.only(s, "edgehub_message_process_duration_seconds_count", from).value()).isEqualTo(t.routed() + 1);
    assertThat(PrometheusText.only(s, "edgehub_message_process_duration_seconds", Map.of("from", id, "quantile", "0.99")).value()).isPositive();
    assertThat(PrometheusText.only(s, "edgehub_messages_sent_total", Map.of("from", id, "to", "upstream", "from_route_output", "",
        "to_route_input", "", "priority", "10")).value()).isEqualTo(t.routed());
    assertThat(PrometheusText.only(s, "edgehub_message_send_duration_seconds_count", Map.of("from", id, "to", "upstream")).value())
        .isEqualTo(t.routed());
    assertThat(PrometheusText.only(s, "edgehub_messages_dropped_total", Map.of("reason", "no_route", "from", id)).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_client_connect_success_total", device).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_client_connect_failed_total", Map.of("id", id, "reason", "bad_credentials")).value())
        .isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_connected_clients", Map.of()).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_gettwin_total", Map.of("source", "edge_hub", "id", id)).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_gettwin_total", Map.of("source", "upstream", "id", id)).value()).isPositive();
    assertThat(PrometheusText.only(s, "edgehub_reported_properties_total", Map.of("target", "edge_hub", "id", id)).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_reported_properties_total", Map.of("target", "upstream", "id", id)).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_direct_methods_total", Map.of("from", "upstream", "to", id)).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_queue_length", Map.of("endpoint", "$upstream", "priority", "10")).value()).isZero();
    assertThat(PrometheusText.only(s, "clearway_queue_oldest_age_seconds", Map.of("endpoint", "$upstream")).value()).isZero();
    assertThat(PrometheusText.only(s, "clearway_upstream_online", Map.of()).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "clearway_store_stored_bytes", Map.of()).value()).isEqualTo(gateway.gateway().store().storedBytes());
    // IoT Edge's common labels on every series.
    assertThat(s).allSatisfy(sample -> assertThat(sample.labels()).containsEntry("iothub", GatewayFixture.HUB)
        .containsEntry("edge_device", GATEWAY_ID).containsKey("instance_number"));
    assertThat(s).extracting(sample -> sample.labels().get("instance_number")).containsOnly(s.get(0).labels().get("instance_number"));

    t.client().disconnect();
    await().atMost(WAIT).until(() -> value("edgehub_connected_clients", Map.of()) == 0);
    assertThat(value("edgehub_client_disconnect_total", Map.of("id", id, "reason", "client"))).isEqualTo(1);
  }

  @Test
  void theUplinkGoingOfflineIsCountedWithItsDuration() throws Exception {
    String id = "metered-offline";
    String key = register(id);
    Mqtt3BlockingClient device = client(id);
    connect(device, id, key); // a connected device keeps its identity's hub connection open
    try {
      await().atMost(WAIT).until(() -> value("clearway_upstream_online", Map.of()) == 1);
      double offlineBefore = value("edgehub_offline_count_total", Map.of());
      double periodsBefore = value("edgehub_offline_duration_seconds_count", Map.of());

      hub.stop();
      try {
        await().atMost(WAIT).until(() -> value("clearway_upstream_online", Map.of()) == 0);
        assertThat(value("clearway_upstream_offline_time_seconds_total", Map.of())).isPositive();
      } finally {
        hub.start();
      }
      await().atMost(WAIT).until(() -> value("clearway_upstream_online", Map.of()) == 1);

      List<PrometheusText.Sample> s = scrape();
      assertThat(PrometheusText.only(s, "edgehub_offline_count_total", Map.of("id", "$edgeHub")).value()).isEqualTo(offlineBefore + 1);
      assertThat(PrometheusText.only(s, "edgehub_offline_duration_seconds_count", Map.of("id", "$edgeHub")).value())
          .isEqualTo(periodsBefore + 1);
      assertThat(PrometheusText.only(s, "edgehub_offline_duration_seconds_sum", Map.of("id", "$edgeHub")).value()).isPositive();
      assertThat(PrometheusText.only(s, "clearway_upstream_connect_failed_total", Map.of("reason", "unreachable")).value()).isPositive();
    } finally {
      device.disconnect();
    }
  }

  @Test
  void everyMetricTheGrafanaDashboardQueriesIsInARealScrape() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    // Importable: it asks for a Prometheus data source, and every panel and query uses it.
    assertThat(dashboard.path("__inputs")).anySatisfy(in -> {
      assertThat(in.path("name").asText()).isEqualTo("DS_PROMETHEUS");
      assertThat(in.path("pluginId").asText()).isEqualTo("prometheus");
    });
    List<String> expressions = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      if (!panel.path("type").asText().equals("row")) {
        assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText()).isEqualTo("${DS_PROMETHEUS}");
      }
      panel.path("targets").forEach(target -> expressions.add(target.path("expr").asText()));
    }
    Set<String> queried = new TreeSet<>();
    Matcher m = Pattern.compile("\\b((?:edgehub|clearway|jvm|process|system)_[a-zA-Z0-9_]+)").matcher(String.join("\n", expressions));
    while (m.find()) {
      queried.add(m.group(1));
    }
    assertThat(queried).as("metrics the dashboard queries").hasSizeGreaterThan(30);

    // Traffic that makes every series exist: a device's messages, twin and method calls, and a
    // protocol error (QoS 2 is refused by IoT Hub and by the gateway); a GC for the pause timer.
    Traffic t = exercise("dashboard-1", 2);
    t.client().toAsync().publishWith().topic("devices/dashboard-1/messages/events/").qos(MqttQos.EXACTLY_ONCE)
        .payload("x".getBytes(StandardCharsets.UTF_8)).send(); // never completed: the gateway closes the connection
    await().atMost(WAIT).until(() -> value("clearway_protocol_errors_total", Map.of("reason", "qos2")) >= 1);
    System.gc();
    await().atMost(WAIT).untilAsserted(() -> assertThat(PrometheusText.names(scrape())).containsAll(queried));
  }

  @Test
  void aTakenMetricsPortStopsTheStartWithOneLineNamingTheSetting(@TempDir Path otherData) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> GatewayFixture.start(otherData, 0, "clearway.metrics.port = " + port + "\n"))
          .isInstanceOfSatisfying(Gateway.StartException.class, e -> assertThat(e.getMessage())
              .startsWith("cannot serve metrics on 127.0.0.1:" + port + " (clearway.metrics.port): ")
              .doesNotContain("\n"));
    }
  }
}

package dev.clearway.actors.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The gateway's meters on a real Prometheus registry: IoT Edge's names, types and labels, the label bound, the read-back API. */
class GatewayCountersTest {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private GatewayCounters counters(int maxLabelValues) {
    registry.throwExceptionOnRegistrationFailure();
    registry.config().commonTags("iothub", "hub.azure-devices.net", "edge_device", "gw", "instance_number", "i-1");
    return new GatewayCounters(registry, maxLabelValues, Duration.ofMinutes(1));
  }

  private static Message telemetry(String device, String module, String output, String body) {
    Message.Builder b = Message.builder().body(body.getBytes(StandardCharsets.UTF_8))
        .systemProperty(SystemProperty.CONNECTION_DEVICE_ID, device).source("/messages");
    if (module != null) {
      b.systemProperty(SystemProperty.CONNECTION_MODULE_ID, module);
    }
    if (output != null) {
      b.systemProperty(SystemProperty.OUTPUT_NAME, output);
    }
    return b.build();
  }

  private List<PrometheusText.Sample> scrape() {
    return PrometheusText.parse(registry.scrape());
  }

  @Test
  void aDevicesTrafficIsExportedUnderIotEdgesNamesTypesAndLabels() {
    GatewayCounters counters = counters(100);
    ConnectionMeters sensor = counters.connection("sensor-1");
    sensor.connected();
    counters.connected().incrementAndGet();
    sensor.received(telemetry("sensor-1", null, null, "12345"));
    sensor.received(telemetry("sensor-1", null, null, "123"));
    sensor.processed(2_000_000);
    counters.sender("sensor-1", GatewayCounters.UPSTREAM, "").sent(telemetry("sensor-1", null, null, "12345"), 10, 5_000_000);
    counters.connection("gw/filter").received(telemetry("gw", "filter", "alerts", "x"));
    counters.dropped(telemetry("sensor-1", null, null, "x"), "no_route");
    AtomicLong expired = new AtomicLong(4);
    counters.droppedByExpiry(expired, AtomicLong::get);
    counters.connectFailed("intruder", "not_authorized");
    sensor.disconnected("keep_alive");
    counters.twinGet(GatewayCounters.EDGE_HUB, "sensor-1");
    counters.reportedProperties(GatewayCounters.UPSTREAM, "sensor-1");
    counters.directMethod(GatewayCounters.UPSTREAM, "sensor-1");
    counters.increment(GatewayCounters.PROTOCOL_ERROR, "qos2");
    counters.increment(GatewayCounters.CONNECTIONS_REFUSED_AT_LIMIT);

    String text = registry.scrape();
    List<PrometheusText.Sample> s = PrometheusText.parse(text);
    assertThat(text).contains("# TYPE edgehub_messages_received_total counter", "# TYPE edgehub_message_size_bytes summary",
        "# TYPE edgehub_message_process_duration_seconds summary", "# TYPE edgehub_connected_clients gauge");
    assertThat(PrometheusText.only(s, "edgehub_messages_received_total", Map.of("id", "sensor-1", "route_output", "")).value()).isEqualTo(2);
    assertThat(PrometheusText.only(s, "edgehub_messages_received_total", Map.of("id", "gw/filter", "route_output", "alerts")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_message_size_bytes_count", Map.of("id", "sensor-1")).value()).isEqualTo(2);
    assertThat(PrometheusText.only(s, "edgehub_message_size_bytes_sum", Map.of("id", "sensor-1")).value()).isEqualTo(8);
    assertThat(PrometheusText.only(s, "edgehub_message_size_bytes", Map.of("id", "sensor-1", "quantile", "0.99")).value()).isGreaterThan(0);
    assertThat(PrometheusText.only(s, "edgehub_message_process_duration_seconds_sum", Map.of("from", "sensor-1")).value()).isEqualTo(0.002);
    assertThat(PrometheusText.only(s, "edgehub_messages_sent_total", Map.of("from", "sensor-1", "to", "upstream", "from_route_output", "",
        "to_route_input", "", "priority", "10")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_message_send_duration_seconds_sum", Map.of("from", "sensor-1", "to", "upstream")).value())
        .isEqualTo(0.005);
    assertThat(PrometheusText.only(s, "edgehub_messages_dropped_total", Map.of("reason", "no_route", "from", "sensor-1")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_messages_dropped_total", Map.of("reason", "ttl_expiry")).value()).isEqualTo(4);
    assertThat(PrometheusText.only(s, "edgehub_client_connect_success_total", Map.of("id", "sensor-1")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_client_connect_failed_total", Map.of("id", "intruder", "reason", "not_authorized")).value())
        .isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_client_disconnect_total", Map.of("id", "sensor-1", "reason", "keep_alive")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_connected_clients", Map.of()).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_gettwin_total", Map.of("source", "edge_hub", "id", "sensor-1")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_reported_properties_total", Map.of("target", "upstream", "id", "sensor-1")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_direct_methods_total", Map.of("from", "upstream", "to", "sensor-1")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "clearway_protocol_errors_total", Map.of("reason", "qos2")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "clearway_connections_refused_at_limit_total", Map.of()).value()).isEqualTo(1);
    // Every series carries IoT Edge's common labels.
    assertThat(s).allSatisfy(sample -> assertThat(sample.labels())
        .containsEntry("iothub", "hub.azure-devices.net").containsEntry("edge_device", "gw").containsEntry("instance_number", "i-1"));

    // The same figures read back by their short names, summed over the other labels.
    assertThat(counters.get(GatewayCounters.MESSAGES_RECEIVED)).isEqualTo(3);
    assertThat(counters.get(GatewayCounters.MESSAGES_DROPPED, "no_route")).isEqualTo(1);
    assertThat(counters.get(GatewayCounters.MESSAGES_DROPPED, "ttl_expiry")).isEqualTo(4);
    assertThat(counters.get(GatewayCounters.CONNECT_FAILED, "not_authorized")).isEqualTo(1);
    assertThat(counters.get(GatewayCounters.DISCONNECT, "keep_alive")).isEqualTo(1);
    assertThat(counters.get(GatewayCounters.MESSAGES_SENT)).isEqualTo(1);
    assertThat(counters.snapshot()).containsEntry("client_connect_failed{not_authorized}", 1L).containsEntry("messages_received", 3L)
        .containsEntry("protocol_error{qos2}", 1L);
  }

  @Test
  void identitiesBeyondTheBoundAreCountedAsOther() {
    GatewayCounters counters = counters(2);
    for (String id : List.of("a", "b", "c", "d")) {
      counters.connection(id).received(telemetry(id, null, null, "x"));
      counters.connectFailed("stranger-" + id, "not_authorized");
    }
    counters.connection("a").received(telemetry("a", null, null, "x"));

    List<PrometheusText.Sample> s = scrape();
    assertThat(PrometheusText.only(s, "edgehub_messages_received_total", Map.of("id", "a")).value()).isEqualTo(2);
    assertThat(PrometheusText.only(s, "edgehub_messages_received_total", Map.of("id", "b")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_messages_received_total", Map.of("id", "other")).value()).isEqualTo(2);
    assertThat(s).filteredOn(x -> x.name().equals("edgehub_messages_received_total")).hasSize(3);
    // Refused clients have a bound of their own: they did not take the devices' places.
    assertThat(PrometheusText.only(s, "edgehub_client_connect_failed_total", Map.of("id", "other")).value()).isEqualTo(2);
  }

  @Test
  void aCounterWithPerIdentityLabelsCannotBeBumpedWithoutThem() {
    GatewayCounters counters = counters(100);
    assertThatThrownBy(() -> counters.increment(GatewayCounters.CONNECT_FAILED, "bad_credentials"))
        .hasMessage("client_connect_failed is not a counter with one label; use the method that names its labels");
    assertThatThrownBy(() -> counters.increment(GatewayCounters.PROTOCOL_ERROR))
        .hasMessage("protocol_error is not a counter with no label; use the method that names its labels");
    assertThatThrownBy(() -> counters.get("no_such_counter")).hasMessage("no counter no_such_counter");
  }
}

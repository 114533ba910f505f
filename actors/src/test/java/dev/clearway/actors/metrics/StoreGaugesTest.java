package dev.clearway.actors.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.RoutedEndpoint;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.QueueId;
import dev.clearway.streams.store.StoreSettings;
import dev.clearway.tls.MutableClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's figures as the metrics endpoint exports them, read from a real RocksDB store. */
class StoreGaugesTest {
  private static final Endpoint FILTER = new Endpoint.ModuleInput("filter", "in1");
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private MessageStore store;
  private StoreGauges gauges;

  @AfterEach
  void close() {
    gauges.close();
    store.close();
  }

  private void append(String body, Endpoint endpoint, int priority) {
    Message m = Message.builder().body(body.getBytes(StandardCharsets.UTF_8)).source("/messages").build();
    store.append(m, List.of(new RoutedEndpoint(endpoint, priority, Duration.ofHours(1), "r"))).toCompletableFuture().join();
  }

  private List<PrometheusText.Sample> scrape() {
    gauges.refreshWithin(Duration.ofSeconds(10));
    return PrometheusText.parse(registry.scrape());
  }

  @Test
  void queueLengthsAgesAndSizesComeFromTheStore() {
    store = MessageStore.open(dir, StoreSettings.create(ConfigFactory.defaultReference().resolve()).withSync(false), clock);
    GatewayCounters counters = new GatewayCounters(registry, 100, Duration.ofMinutes(1));
    gauges = new StoreGauges(registry, store, 1_000_000, List.of(new QueueId(Endpoint.UPSTREAM, 10)), counters);

    // A queue the routes name is shown from the start, empty.
    List<PrometheusText.Sample> empty = scrape();
    assertThat(PrometheusText.only(empty, "edgehub_queue_length", Map.of("endpoint", "$upstream", "priority", "10")).value()).isZero();
    assertThat(PrometheusText.only(empty, "clearway_queue_oldest_age_seconds", Map.of("endpoint", "$upstream")).value()).isZero();
    assertThat(PrometheusText.only(empty, "clearway_store_max_bytes", Map.of()).value()).isEqualTo(1_000_000);

    append("a", Endpoint.UPSTREAM, 10);
    clock.advance(Duration.ofSeconds(30));
    append("b", Endpoint.UPSTREAM, 10);
    append("c", FILTER, 0);
    clock.advance(Duration.ofSeconds(12));
    List<PrometheusText.Sample> s = scrape();

    assertThat(PrometheusText.only(s, "edgehub_queue_length", Map.of("endpoint", "$upstream", "priority", "10")).value()).isEqualTo(2);
    // A queue first seen in the store gets its gauges at the next scrape.
    assertThat(PrometheusText.only(s, "edgehub_queue_length", Map.of("endpoint", "/modules/filter/inputs/in1", "priority", "0")).value())
        .isEqualTo(1);
    assertThat(PrometheusText.only(s, "clearway_queue_oldest_age_seconds", Map.of("endpoint", "$upstream")).value()).isEqualTo(42);
    assertThat(PrometheusText.only(s, "clearway_queue_oldest_age_seconds", Map.of("endpoint", "/modules/filter/inputs/in1")).value())
        .isEqualTo(12);
    assertThat(PrometheusText.only(s, "clearway_store_messages", Map.of()).value()).isEqualTo(3);
    assertThat(PrometheusText.only(s, "clearway_store_stored_bytes", Map.of()).value()).isEqualTo(store.storedBytes()).isPositive();
    assertThat(PrometheusText.only(s, "clearway_store_disk_bytes", Map.of()).value()).isEqualTo(store.diskBytes());
    assertThat(PrometheusText.only(s, "clearway_store_full", Map.of()).value()).isZero();
    assertThat(PrometheusText.only(s, "edgehub_messages_dropped_total", Map.of("reason", "ttl_expiry")).value()).isZero();

    // Past their time-to-live: the store's cleanup removes and counts them, the ages fall to zero.
    clock.advance(Duration.ofHours(2));
    store.cleanup();
    List<PrometheusText.Sample> expired = scrape();
    assertThat(PrometheusText.only(expired, "edgehub_messages_dropped_total", Map.of("reason", "ttl_expiry")).value()).isEqualTo(3);
    assertThat(PrometheusText.only(expired, "edgehub_queue_length", Map.of("endpoint", "$upstream", "priority", "10")).value()).isZero();
    assertThat(PrometheusText.only(expired, "clearway_queue_oldest_age_seconds", Map.of("endpoint", "$upstream")).value()).isZero();
  }

  @Test
  void aClosedStoreLeavesThePreviousFiguresInsteadOfFailingTheScrape() {
    store = MessageStore.open(dir, StoreSettings.create(ConfigFactory.defaultReference().resolve()).withSync(false), clock);
    gauges = new StoreGauges(registry, store, 1_000_000, List.of(), new GatewayCounters(registry, 100, Duration.ofMinutes(1)));
    append("a", Endpoint.UPSTREAM, 10);
    clock.advance(Duration.ofSeconds(5));
    assertThat(PrometheusText.only(scrape(), "clearway_queue_oldest_age_seconds", Map.of("endpoint", "$upstream")).value()).isEqualTo(5);

    store.close();
    clock.advance(Duration.ofSeconds(5));
    assertThat(PrometheusText.only(scrape(), "clearway_queue_oldest_age_seconds", Map.of("endpoint", "$upstream")).value()).isEqualTo(5);
  }
}

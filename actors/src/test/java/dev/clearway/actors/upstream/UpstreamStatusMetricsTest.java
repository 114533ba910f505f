package dev.clearway.actors.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.actors.metrics.PrometheusText;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The uplink's state as the metrics endpoint exports it: read from {@link UpstreamStatus} when scraped. */
class UpstreamStatusMetricsTest {

  @Test
  void theOfflineCountTimeAndOnlineStateAreReadWhenScraped() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GatewayCounters counters = new GatewayCounters(registry, 100, Duration.ofMinutes(1));
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    UpstreamStatus status = new UpstreamStatus(UpstreamStatus.Connectivity.UNKNOWN, start);
    counters.watchUpstream(status, Clock.fixed(start.plusSeconds(30), ZoneOffset.UTC));
    status.moveTo(UpstreamStatus.Connectivity.ONLINE, start);
    assertThat(PrometheusText.only(PrometheusText.parse(registry.scrape()), "clearway_upstream_online", Map.of()).value()).isEqualTo(1);

    status.moveTo(UpstreamStatus.Connectivity.OFFLINE, start.plusSeconds(10));
    counters.offlineEnded(Duration.ofSeconds(7));
    List<PrometheusText.Sample> s = PrometheusText.parse(registry.scrape());

    assertThat(PrometheusText.only(s, "clearway_upstream_online", Map.of()).value()).isZero();
    assertThat(PrometheusText.only(s, "edgehub_offline_count_total", Map.of("id", "$edgeHub")).value()).isEqualTo(1);
    // Offline since 10 s, scraped at 30 s: the current period counts.
    assertThat(PrometheusText.only(s, "clearway_upstream_offline_time_seconds_total", Map.of()).value()).isEqualTo(20);
    assertThat(PrometheusText.only(s, "edgehub_offline_duration_seconds_count", Map.of("id", "$edgeHub")).value()).isEqualTo(1);
    assertThat(PrometheusText.only(s, "edgehub_offline_duration_seconds_sum", Map.of("id", "$edgeHub")).value()).isEqualTo(7);
    assertThat(counters.get(GatewayCounters.OFFLINE)).isEqualTo(1);
  }
}

package dev.clearway.actors.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The metrics and health endpoints on their own, probed with the JDK's HTTP client: readiness as
 * its conditions change, liveness, the scrape's content type and the hook that runs before it.
 */
class MetricsServerIT {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicBoolean listening = new AtomicBoolean();
  private final AtomicBoolean storeOpen = new AtomicBoolean();
  private final AtomicInteger beforeScrape = new AtomicInteger();
  private ActorSystem<Void> system;
  private MetricsServer server;

  @BeforeEach
  void start() throws Exception {
    system = ActorSystem.create(Behaviors.empty(), "metrics-server-test",
        ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.defaultReference()).resolve());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.counter("clearway.test.events").increment(3);
    Readiness readiness = new Readiness()
        .require("the MQTT listener is not bound", listening::get)
        .require("the store is not open", storeOpen::get);
    MetricsSettings settings = new MetricsSettings(true, "127.0.0.1", 0, 100, Duration.ofMinutes(1), Duration.ofSeconds(1), 4);
    server = MetricsServer.start(system, settings, registry, beforeScrape::incrementAndGet, readiness)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    system.terminate();
  }

  private HttpResponse<String> get(String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void readinessSaysWhatIsNotReadyUntilEveryConditionHolds() throws Exception {
    HttpResponse<String> neither = get("/health/ready");
    assertThat(neither.statusCode()).isEqualTo(503);
    assertThat(neither.body()).isEqualTo("not ready: the MQTT listener is not bound; the store is not open\n");
    assertThat(neither.headers().firstValue("Content-Type")).hasValue("text/plain; charset=UTF-8");

    storeOpen.set(true);
    HttpResponse<String> one = get("/health/ready");
    assertThat(one.statusCode()).isEqualTo(503);
    assertThat(one.body()).isEqualTo("not ready: the MQTT listener is not bound\n");

    listening.set(true);
    HttpResponse<String> ready = get("/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready\n");

    listening.set(false); // a stopping gateway unbinds first
    assertThat(get("/health/ready").statusCode()).isEqualTo(503);
  }

  @Test
  void livenessHoldsWhileTheActorSystemRuns() throws Exception {
    HttpResponse<String> live = get("/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(live.body()).isEqualTo("live\n");
  }

  @Test
  void aScrapeIsPrometheusTextAndRunsTheHookFirst() throws Exception {
    HttpResponse<String> scrape = get("/metrics");

    assertThat(scrape.statusCode()).isEqualTo(200);
    // Prometheus' text format 0.0.4 (charset names are case-insensitive).
    assertThat(scrape.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).isEqualToIgnoringCase("text/plain; version=0.0.4; charset=utf-8"));
    assertThat(PrometheusText.only(PrometheusText.parse(scrape.body()), "clearway_test_events_total", java.util.Map.of()).value())
        .isEqualTo(3);
    assertThat(beforeScrape.get()).isEqualTo(1);
  }

  @Test
  void otherPathsAndMethodsAreRefused() throws Exception {
    assertThat(get("/").statusCode()).isEqualTo(404);
    assertThat(get("/health").statusCode()).isEqualTo(404);
    URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics");
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }
}

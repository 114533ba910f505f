package dev.clearway.actors.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;

/**
 * The operator's HTTP endpoints, served with Pekko HTTP on {@code clearway.metrics.host:port}:
 * <ul>
 *   <li>{@code GET /metrics}: every meter in Prometheus' text format 0.0.4;
 *   <li>{@code GET /health/live}: 200 while the actor system runs;
 *   <li>{@code GET /health/ready}: 200 when the gateway takes devices ({@link Readiness}), else 503
 *       with what is not ready.
 * </ul>
 * A scrape renders on Pekko's blocking dispatcher, after the store's disk figures were read (or
 * their wait ran out), so neither holds the threads that serve connections.
 */
public final class MetricsServer {
  /** Prometheus' text exposition format, version 0.0.4. */
  static final ContentType PROMETHEUS_TEXT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final ServerBinding binding;

  private MetricsServer(ServerBinding binding) {
    this.binding = binding;
  }

  /**
   * Binds the endpoints.
   *
   * @param beforeScrape run before each scrape, within the scrape's thread (the store's disk figures)
   * @return completes with the server, or fails when the address cannot be bound
   */
  public static CompletionStage<MetricsServer> start(ActorSystem<?> system, MetricsSettings settings, PrometheusMeterRegistry registry,
      Runnable beforeScrape, Readiness readiness) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    Route route = get(() -> concat(
        path("metrics", () -> completeWithFuture(CompletableFuture.supplyAsync(() -> {
          beforeScrape.run();
          return HttpResponse.create().withEntity(HttpEntities.create(PROMETHEUS_TEXT, registry.scrape().getBytes(StandardCharsets.UTF_8)));
        }, blocking))),
        pathPrefix("health", () -> concat(
            path("live", () -> system.getWhenTerminated().toCompletableFuture().isDone()
                ? text(StatusCodes.SERVICE_UNAVAILABLE, "terminating")
                : text(StatusCodes.OK, "live")),
            path("ready", () -> {
              List<String> unmet = readiness.unmet();
              return unmet.isEmpty() ? text(StatusCodes.OK, "ready")
                  : text(StatusCodes.SERVICE_UNAVAILABLE, "not ready: " + String.join("; ", unmet));
            })))));
    ServerSettings serverSettings = ServerSettings.create(system.classicSystem()).withMaxConnections(settings.maxConnections());
    return Http.get(system).newServerAt(settings.host(), settings.port()).withSettings(serverSettings).bind(route)
        .thenApply(MetricsServer::new);
  }

  private static Route text(org.apache.pekko.http.javadsl.model.StatusCode status, String body) {
    return complete(HttpResponse.create().withStatus(status).withEntity(ContentTypes.TEXT_PLAIN_UTF8, body + "\n"));
  }

  /** Where the endpoints listen (with the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Stops accepting and closes the open connections within {@code deadline}. */
  public CompletionStage<Done> stop(Duration deadline) {
    return binding.terminate(deadline).thenApply(t -> Done.getInstance());
  }
}

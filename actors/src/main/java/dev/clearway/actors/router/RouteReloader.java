package dev.clearway.actors.router;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.RouteCompileException;
import dev.clearway.routes.RouteSet;
import dev.clearway.routes.RouteSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Owns the running route set: when the operator's configuration file changes, the new routes are
 * compiled first; a set with errors is rejected with every error logged and the running set keeps
 * working; a good set replaces it at once — the router reads the current set for every message, so
 * no connection is dropped and no message is routed by half a set.
 */
public final class RouteReloader {

  /** What the reloader handles (node-local: it reads this node's file). */
  public sealed interface Command extends NoSerializationVerificationNeeded permits Check {}

  private enum Check implements Command { INSTANCE }

  private record Stamp(FileTime modified, long size) {}

  private final ActorContext<Command> context;
  private final Path file;
  private final Function<Path, Config> load;
  private final AtomicReference<RouteSet> current;
  private final Consumer<RouteSet> onReplaced;
  private final GatewayCounters counters;
  private Stamp seen;

  /**
   * @param file the operator's configuration file to watch
   * @param load reads the whole configuration from it (as at start)
   * @param current the route set the router uses; replaced here
   * @param onReplaced told of each new set (to start deliveries for new module inputs)
   */
  public static Behavior<Command> create(Path file, Function<Path, Config> load, AtomicReference<RouteSet> current,
      Consumer<RouteSet> onReplaced, GatewayCounters counters, Duration checkInterval) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setLoggerName(RouteReloader.class);
      timers.startTimerWithFixedDelay(Check.INSTANCE, checkInterval);
      RouteReloader r = new RouteReloader(ctx, file, load, current, onReplaced, counters);
      return Behaviors.receive(Command.class).onMessageEquals(Check.INSTANCE, r::check).build();
    }));
  }

  private RouteReloader(ActorContext<Command> context, Path file, Function<Path, Config> load, AtomicReference<RouteSet> current,
      Consumer<RouteSet> onReplaced, GatewayCounters counters) {
    this.context = context;
    this.file = file;
    this.load = load;
    this.current = current;
    this.onReplaced = onReplaced;
    this.counters = counters;
    this.seen = stamp();
  }

  private Behavior<Command> check() {
    Stamp now = stamp();
    if (Objects.equals(now, seen)) {
      return Behaviors.same();
    }
    seen = now;
    try {
      RouteSet next = RouteSet.compile(RouteSettings.fromConfig(load.apply(file)));
      current.set(next);
      next.warnings().forEach(w -> context.getLog().warn("routes: {}", w));
      counters.increment(GatewayCounters.ROUTE_RELOAD, "replaced");
      context.getLog().info("Route set replaced from {}: {} routes", file, next.rules().size());
      onReplaced.accept(next);
    } catch (RouteCompileException | ConfigException | IllegalArgumentException e) {
      counters.increment(GatewayCounters.ROUTE_RELOAD, "rejected");
      context.getLog().error("Route set in {} rejected; the running set keeps working:{}{}", file, System.lineSeparator(), e.getMessage());
    }
    return Behaviors.same();
  }

  private Stamp stamp() {
    try {
      return new Stamp(Files.getLastModifiedTime(file), Files.size(file));
    } catch (IOException e) {
      return null; // a missing file is a change when it comes back
    }
  }
}

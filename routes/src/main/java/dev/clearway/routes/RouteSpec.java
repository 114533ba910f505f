package dev.clearway.routes;

import java.time.Duration;
import java.util.Objects;

/**
 * A route as configured, before compiling: a name, the route text, a priority and a time-to-live.
 *
 * @param name unique within a route set
 * @param text {@code [SELECT *] FROM <source> [WHERE <condition>] INTO <sink>}
 * @param priority 0 (highest) … 9; {@link #BARE_PRIORITY} for a route given as a bare string
 * @param timeToLive {@link Duration#ZERO} means the global store-and-forward TTL; negative means
 *     forever
 */
public record RouteSpec(String name, String text, int priority, Duration timeToLive) {

  /** The priority of a route given as a bare string: below 9, the lowest. */
  public static final int BARE_PRIORITY = 10;

  public RouteSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(timeToLive, "timeToLive");
    if (priority < 0 || priority > BARE_PRIORITY) {
      throw new IllegalArgumentException(
          "route '" + name + "': priority must be 0..9, got " + priority);
    }
  }

  /** A route given as a bare string: lowest priority, the global TTL. */
  public static RouteSpec bare(String name, String text) {
    return new RouteSpec(name, text, BARE_PRIORITY, Duration.ZERO);
  }

  /** Whether this route came as a bare string. */
  public boolean isBare() {
    return priority == BARE_PRIORITY;
  }
}

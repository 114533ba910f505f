package dev.clearway.routes;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One compiled route: its name and text, the source it listens to, its condition, its sink, its
 * priority and time-to-live. Immutable and safe to share between threads.
 */
public final class RoutingRule {

  private final RouteSpec spec;
  private final String source;
  private final String sourceKey;
  private final Condition condition;
  private final Endpoint sink;

  /** Made by the compiler; see {@link RouteSet#compile}. */
  public RoutingRule(RouteSpec spec, String source, Condition condition, Endpoint sink) {
    this.spec = Objects.requireNonNull(spec);
    this.source = Objects.requireNonNull(source);
    this.sourceKey = sourceKey(source);
    this.condition = Objects.requireNonNull(condition);
    this.sink = Objects.requireNonNull(sink);
  }

  public String name() {
    return spec.name();
  }

  /** The route text as configured. */
  public String text() {
    return spec.text();
  }

  /** The source as written, e.g. {@code /messages/*}. */
  public String source() {
    return source;
  }

  public Condition condition() {
    return condition;
  }

  /** The condition's text, when the route has a {@code WHERE}. */
  public Optional<String> conditionText() {
    return condition.text().isEmpty() ? Optional.empty() : Optional.of(condition.text());
  }

  public Endpoint sink() {
    return sink;
  }

  /** 0 (highest) … 9, or {@link RouteSpec#BARE_PRIORITY}. */
  public int priority() {
    return spec.priority();
  }

  /** Zero: the global TTL; negative: forever. */
  public Duration timeToLive() {
    return spec.timeToLive();
  }

  public RouteSpec spec() {
    return spec;
  }

  /** Whether the message's source path falls under this route's source. */
  public boolean matchesSource(Message message) {
    return message.sourceKey().startsWith(sourceKey);
  }

  /** Whether the route sends {@code message} to its sink: source matches, condition is true. */
  public boolean fires(Message message) {
    return matchesSource(message) && condition.evaluate(message) == Truth.TRUE;
  }

  /**
   * Whether the source can match something the gateway produces. ROUTES.md (better): a source not
   * under {@code /messages} or {@code /twinChangeNotifications}, other than {@code /} and {@code /*},
   * is worth a warning.
   */
  public boolean sourceIsKnown() {
    return sourceKey.equals("/")
        || sourceKey.startsWith("/messages/")
        || sourceKey.startsWith("/twinchangenotifications/");
  }

  /**
   * ROUTES.md, "Sources": trim; drop a trailing {@code *}; drop a trailing {@code /} unless the whole
   * source is {@code /}; then add a trailing {@code /} and fold the case. A message matches when its
   * {@link Message#sourceKey()} starts with this.
   */
  public static String sourceKey(String source) {
    String s = source.trim();
    if (s.endsWith("*")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.endsWith("/") && s.length() > 1) {
      s = s.substring(0, s.length() - 1);
    }
    return Message.sourceKey(s);
  }

  /** Whether the route listens to twin change notifications only. */
  public boolean isTwinChangeRoute() {
    return sourceKey.startsWith("/twinchangenotifications/");
  }

  @Override
  public String toString() {
    return "RoutingRule[" + name() + ": " + text() + "]";
  }
}

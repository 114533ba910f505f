package dev.clearway.routes;

import dev.clearway.routes.internal.RouteCompiler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A compiled, immutable set of routes. {@link #endpointsFor(Message)} is safe to call from any number
 * of threads at once; swap a whole set to change the routes.
 *
 * <p>When several routes send one message to the same endpoint, it goes there once, with the
 * priority of the highest-priority route among them and that route's time-to-live — as IoT Edge's
 * hub does (its {@code Evaluator} groups route results by endpoint and keeps the one with the
 * smallest priority value). Between routes of equal priority the reference leaves the choice
 * unspecified; we take the longest time-to-live, so no route's retention promise is cut short.
 */
public final class RouteSet {

  private final RoutingRule[] rules;
  private final Duration globalTimeToLive;
  private final List<String> warnings;

  private RouteSet(List<RoutingRule> rules, Duration globalTimeToLive, List<String> warnings) {
    this.rules = rules.toArray(RoutingRule[]::new);
    this.globalTimeToLive = globalTimeToLive;
    this.warnings = List.copyOf(warnings);
  }

  /** Compiles routes from configuration. */
  public static RouteSet compile(RouteSettings settings) {
    return compile(settings.routes(), settings.globalTimeToLive(), settings.language());
  }

  /**
   * Compiles every route and reports every error: one bad route rejects the whole set (ROUTES.md,
   * "Errors").
   *
   * @param globalTimeToLive the store-and-forward TTL that routes with TTL 0 use; negative = forever
   * @throws RouteCompileException with one error per bad route (and one for a duplicate name)
   */
  public static RouteSet compile(
      List<RouteSpec> specs, Duration globalTimeToLive, RouteLanguageSettings limits) {
    Objects.requireNonNull(globalTimeToLive, "globalTimeToLive");
    List<RouteError> errors = new ArrayList<>();
    List<RoutingRule> rules = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    if (specs.size() > limits.maxRoutes()) {
      errors.add(
          RouteError.general(
              "(route set)",
              specs.size()
                  + " routes are more than "
                  + limits.maxRoutes()
                  + " (clearway.route-language.max-routes)"));
    }
    Set<String> names = new HashSet<>();
    for (RouteSpec spec : specs) {
      if (!names.add(spec.name())) {
        errors.add(RouteError.general(spec.name(), "a route of this name is already defined"));
        continue;
      }
      try {
        RoutingRule rule = RouteCompiler.compileRule(spec, limits);
        rules.add(rule);
        if (!rule.sourceIsKnown()) {
          warnings.add(
              "route '"
                  + spec.name()
                  + "': source '"
                  + rule.source()
                  + "' is not under /messages or /twinChangeNotifications; it matches no message"
                  + " the gateway produces");
        }
      } catch (RouteCompileException e) {
        errors.addAll(e.errors());
      }
    }
    if (!errors.isEmpty()) {
      throw new RouteCompileException(errors);
    }
    return new RouteSet(rules, globalTimeToLive, warnings);
  }

  /** The rules in configuration order. */
  public List<RoutingRule> rules() {
    return List.of(rules);
  }

  /** The store-and-forward TTL that routes with TTL 0 use. */
  public Duration globalTimeToLive() {
    return globalTimeToLive;
  }

  /** Things worth an operator's attention that are not errors. */
  public List<String> warnings() {
    return warnings;
  }

  /**
   * The endpoints {@code message} goes to, each once, with the winning priority and TTL (see the
   * class comment), in the order the endpoints were first reached. Never throws.
   */
  public List<RoutedEndpoint> endpointsFor(Message message) {
    List<RoutedEndpoint> out = new ArrayList<>(2);
    for (RoutingRule rule : rules) {
      if (!rule.fires(message)) {
        continue;
      }
      RoutedEndpoint candidate =
          new RoutedEndpoint(rule.sink(), rule.priority(), effectiveTtl(rule), rule.name());
      int i = indexOf(out, rule.sink());
      if (i < 0) {
        out.add(candidate);
      } else if (wins(candidate, out.get(i))) {
        out.set(i, candidate);
      }
    }
    return out;
  }

  private static int indexOf(List<RoutedEndpoint> list, Endpoint e) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i).endpoint().equals(e)) {
        return i;
      }
    }
    return -1;
  }

  private static boolean wins(RoutedEndpoint a, RoutedEndpoint b) {
    if (a.priority() != b.priority()) {
      return a.priority() < b.priority(); // 0 is the highest priority
    }
    return longer(a.timeToLive(), b.timeToLive());
  }

  private static boolean longer(Duration a, Duration b) {
    if (a.isNegative() || b.isNegative()) {
      return a.isNegative() && !b.isNegative(); // negative = forever, the longest
    }
    return a.compareTo(b) > 0;
  }

  /** TTL 0 means the global store-and-forward TTL (ROUTES.md, "Route"). */
  private Duration effectiveTtl(RoutingRule rule) {
    return rule.timeToLive().isZero() ? globalTimeToLive : rule.timeToLive();
  }

  /** An empty set: routes nothing. */
  public static RouteSet empty(Duration globalTimeToLive) {
    return new RouteSet(List.of(), globalTimeToLive, List.of());
  }
}

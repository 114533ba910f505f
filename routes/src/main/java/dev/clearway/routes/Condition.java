package dev.clearway.routes;

import dev.clearway.routes.internal.RouteCompiler;

/**
 * A compiled condition: evaluates a message to one of the four {@link Truth} values. Compiled once;
 * evaluation interprets no text and never throws.
 */
public interface Condition {

  /** The condition's text; empty for a route without {@code WHERE}. */
  String text();

  /** The condition's value for {@code message}. */
  Truth evaluate(Message message);

  /**
   * Compiles a stand-alone condition with the default bounds. {@code twin_change_includes} is
   * allowed, as if on a route from {@code /twinChangeNotifications}.
   *
   * @throws RouteCompileException naming the route {@code condition}
   */
  static Condition compile(String text) {
    return compile(text, RouteLanguageSettings.DEFAULTS);
  }

  /** Like {@link #compile(String)}, with other bounds. */
  static Condition compile(String text, RouteLanguageSettings limits) {
    return RouteCompiler.compileCondition(text, limits);
  }
}

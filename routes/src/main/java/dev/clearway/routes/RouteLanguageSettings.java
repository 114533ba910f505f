package dev.clearway.routes;

import com.typesafe.config.Config;

/**
 * The bounds of the route language, from {@code clearway.route-language} (see reference.conf).
 *
 * @param maxNestingDepth how deeply a condition may nest (parentheses, operators, function calls)
 * @param maxRouteLength the longest route text, in characters
 * @param maxRoutes the most routes one route set may have
 */
public record RouteLanguageSettings(int maxNestingDepth, int maxRouteLength, int maxRoutes) {

  /** The reference.conf defaults. */
  public static final RouteLanguageSettings DEFAULTS = new RouteLanguageSettings(64, 4096, 1000);

  public RouteLanguageSettings {
    if (maxNestingDepth < 1 || maxRouteLength < 1 || maxRoutes < 1) {
      throw new IllegalArgumentException("route language bounds must be positive");
    }
  }

  /** Reads {@code clearway.route-language}; a bad value names its key. */
  public static RouteLanguageSettings fromConfig(Config config) {
    return new RouteLanguageSettings(
        Settings.positiveInt(config, "clearway.route-language.max-nesting-depth", 256),
        Settings.positiveInt(config, "clearway.route-language.max-route-length", 1_000_000),
        Settings.positiveInt(config, "clearway.route-language.max-routes", 100_000));
  }
}

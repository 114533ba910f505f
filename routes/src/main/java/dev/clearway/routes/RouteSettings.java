package dev.clearway.routes;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The routes and their settings as configured (see reference.conf):
 *
 * <pre>
 * clearway.routes {
 *   allToHub = "FROM /messages/* INTO $upstream"          # bare string: lowest priority, global TTL
 *   alerts { route = "…", priority = 0, time-to-live = 1h } # negative time-to-live = forever
 * }
 * clearway.store-and-forward.time-to-live = 7200s
 * </pre>
 *
 * @param routes in name order (HOCON objects have no order)
 * @param globalTimeToLive {@code clearway.store-and-forward.time-to-live}; negative = forever
 * @param language {@code clearway.route-language}
 */
public record RouteSettings(
    List<RouteSpec> routes, Duration globalTimeToLive, RouteLanguageSettings language) {

  public static final String ROUTES = "clearway.routes";
  public static final String GLOBAL_TTL = "clearway.store-and-forward.time-to-live";
  private static final Set<String> ROUTE_KEYS = Set.of("route", "priority", "time-to-live");

  public RouteSettings {
    routes = List.copyOf(routes);
  }

  /**
   * Reads {@code clearway.routes}, {@code clearway.store-and-forward} and {@code
   * clearway.route-language}. Route texts are not compiled here; see {@link RouteSet#compile}.
   *
   * @throws ConfigException with one line naming the key when a setting is missing or wrong
   */
  public static RouteSettings fromConfig(Config config) {
    Duration global = Settings.duration(config, GLOBAL_TTL);
    if (global.isZero()) {
      throw Settings.bad(
          config.getValue(GLOBAL_TTL), GLOBAL_TTL, "must not be 0 (a negative value means forever)");
    }
    ConfigObject obj = config.getObject(ROUTES);
    Map<String, ConfigValue> sorted = new TreeMap<>(obj);
    List<RouteSpec> routes = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : sorted.entrySet()) {
      routes.add(route(config, e.getKey(), e.getValue()));
    }
    return new RouteSettings(routes, global, RouteLanguageSettings.fromConfig(config));
  }

  private static RouteSpec route(Config config, String name, ConfigValue value) {
    String path = ConfigUtil.joinPath("clearway", "routes", name);
    if (value.valueType() == ConfigValueType.STRING) {
      return RouteSpec.bare(name, (String) value.unwrapped());
    }
    if (value.valueType() != ConfigValueType.OBJECT) {
      throw Settings.bad(value, path, "expected a route string or { route, priority, time-to-live }");
    }
    ConfigObject fields = (ConfigObject) value;
    for (String key : fields.keySet()) {
      if (!ROUTE_KEYS.contains(key)) {
        throw Settings.bad(value, path, "unknown key '" + key + "'; expected route, priority, time-to-live");
      }
    }
    if (!fields.containsKey("route")) {
      throw Settings.bad(value, path, "missing 'route', the route text");
    }
    // Full paths throughout, so that every message names the whole key.
    String text = config.getString(path + ".route");
    int priority = RouteSpec.BARE_PRIORITY;
    if (fields.containsKey("priority")) {
      priority = config.getInt(path + ".priority");
      if (priority < 0 || priority > 9) {
        throw Settings.bad(
            fields.get("priority"), path + ".priority", "must be 0 (highest) .. 9, got " + priority);
      }
    }
    Duration ttl =
        fields.containsKey("time-to-live")
            ? Settings.duration(config, path + ".time-to-live")
            : Duration.ZERO;
    return new RouteSpec(name, text, priority, ttl);
  }
}

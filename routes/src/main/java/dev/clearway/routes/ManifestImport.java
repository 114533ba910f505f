package dev.clearway.routes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns an IoT Edge deployment manifest's {@code $edgeHub} desired properties into the equivalent
 * Clearway HOCON ({@code clearway.routes}, {@code clearway.store-and-forward.time-to-live}), or into
 * the list of what is wrong with it. Routes are compiled, so a route the gateway would reject is
 * reported here, with the caret display.
 */
public final class ManifestImport {

  private static final ObjectMapper JSON = new ObjectMapper();
  // schemaVersion 1.0 (routes as strings) .. 1.3; "1.1.0" is also seen in the wild.
  private static final Pattern SCHEMA = Pattern.compile("1\\.([0-3])(\\.0)?");
  // The manifest schema's pattern for route names: ^[^\.\$# ]+$
  private static final Pattern ROUTE_NAME = Pattern.compile("[^.$# ]+");
  private static final Set<String> ROUTE_FIELDS = Set.of("route", "priority", "timeToLiveSecs");
  private static final long MAX_TTL_SECS = 4_294_967_295L;
  private static final Set<String> IMPORTED = Set.of("schemaVersion", "routes", "storeAndForwardConfiguration");

  /**
   * The outcome: HOCON text when {@code errors} is empty.
   *
   * @param hocon the equivalent configuration, with the warnings as comments; empty on errors
   * @param errors one entry per problem (route errors rendered with their caret)
   * @param warnings things worth a look that are not errors
   */
  public record Result(String hocon, List<String> errors, List<String> warnings) {
    public boolean ok() {
      return errors.isEmpty();
    }
  }

  private ManifestImport() {}

  /** Converts the manifest text; never throws for bad input. */
  public static Result convert(String manifestJson, RouteLanguageSettings limits) {
    JsonNode root;
    try {
      root = JSON.readTree(manifestJson);
    } catch (JsonProcessingException e) {
      return failed("not valid JSON: " + e.getOriginalMessage());
    }
    JsonNode desired = desiredProperties(root);
    if (desired == null) {
      return failed(
          "no $edgeHub desired properties: expected modulesContent.$edgeHub[\"properties.desired\"]"
              + " (or content.modulesContent…, or the desired properties themselves)");
    }
    List<String> errors = new ArrayList<>();
    JsonNode version = desired.get("schemaVersion");
    var m = version != null && version.isTextual() ? SCHEMA.matcher(version.textValue()) : null;
    if (m == null || !m.matches()) {
      return failed("schemaVersion must be \"1.0\" .. \"1.3\", got " + (version == null ? "nothing" : version));
    }
    int minor = Integer.parseInt(m.group(1));
    List<RouteSpec> specs = routes(desired.get("routes"), minor, errors);
    Duration global = globalTtl(desired.get("storeAndForwardConfiguration"), errors);
    if (!errors.isEmpty()) {
      return new Result("", errors, List.of());
    }
    RouteSet set;
    try {
      set = RouteSet.compile(specs, global == null ? Duration.ofSeconds(7200) : global, limits);
    } catch (RouteCompileException e) {
      e.errors().forEach(err -> errors.add(err.render()));
      return new Result("", errors, List.of());
    }
    List<String> warnings = new ArrayList<>(set.warnings());
    // Sections such as mqttBroker (schemaVersion 1.2) have no Clearway routes equivalent: say so.
    desired
        .fieldNames()
        .forEachRemaining(
            f -> {
              if (!IMPORTED.contains(f) && !f.startsWith("$")) {
                warnings.add("'" + f + "' is not imported: only routes and storeAndForwardConfiguration are");
              }
            });
    return new Result(hocon(version.textValue(), specs, global, warnings), List.of(), List.copyOf(warnings));
  }

  private static Result failed(String error) {
    return new Result("", List.of(error), List.of());
  }

  private static JsonNode desiredProperties(JsonNode root) {
    if (root == null || !root.isObject()) {
      return null;
    }
    JsonNode modules = root.path("content").path("modulesContent");
    if (modules.isMissingNode()) {
      modules = root.path("modulesContent");
    }
    JsonNode hub = modules.isMissingNode() ? root.path("$edgeHub") : modules.path("$edgeHub");
    JsonNode desired = hub.path("properties.desired");
    if (desired.isObject()) {
      return desired;
    }
    return root.has("schemaVersion") || root.has("routes") ? root : null;
  }

  private static List<RouteSpec> routes(JsonNode routes, int minor, List<String> errors) {
    List<RouteSpec> specs = new ArrayList<>();
    if (routes == null) {
      errors.add("routes: missing (an object of named routes)");
      return specs;
    }
    if (!routes.isObject()) {
      errors.add("routes: expected an object of named routes");
      return specs;
    }
    for (Map.Entry<String, JsonNode> e : routes.properties()) {
      String name = e.getKey();
      JsonNode v = e.getValue();
      String where = "routes." + name;
      if (!ROUTE_NAME.matcher(name).matches()) {
        errors.add(where + ": a route name may not contain '.', '$', '#' or spaces");
      } else if (v.isTextual()) {
        specs.add(RouteSpec.bare(name, v.textValue()));
      } else if (!v.isObject()) {
        errors.add(where + ": expected a route string or {route, priority, timeToLiveSecs}");
      } else if (minor < 1) {
        // Route objects (priority, TTL) came with schemaVersion 1.1.
        errors.add(where + ": a route object needs schemaVersion 1.1 or later");
      } else {
        RouteSpec spec = routeObject(name, where, v, errors);
        if (spec != null) {
          specs.add(spec);
        }
      }
    }
    return specs;
  }

  private static RouteSpec routeObject(String name, String where, JsonNode v, List<String> errors) {
    int before = errors.size();
    v.fieldNames()
        .forEachRemaining(
            f -> {
              if (!ROUTE_FIELDS.contains(f)) {
                errors.add(where + ": unknown field '" + f + "'; expected route, priority, timeToLiveSecs");
              }
            });
    JsonNode route = v.get("route");
    if (route == null || !route.isTextual()) {
      errors.add(where + ".route: expected the route text");
    }
    int priority = RouteSpec.BARE_PRIORITY;
    JsonNode p = v.get("priority");
    if (p != null) {
      if (!p.canConvertToExactIntegral() || p.asLong() < 0 || p.asLong() > 9) {
        errors.add(where + ".priority: expected an integer 0..9, got " + p);
      } else {
        priority = p.asInt();
      }
    }
    long ttl = 0;
    JsonNode t = v.get("timeToLiveSecs");
    if (t != null) {
      if (!t.canConvertToExactIntegral() || t.asLong() < 0 || t.asLong() > MAX_TTL_SECS) {
        errors.add(where + ".timeToLiveSecs: expected an integer 0.." + MAX_TTL_SECS + ", got " + t);
      } else {
        ttl = t.asLong();
      }
    }
    return errors.size() > before ? null : new RouteSpec(name, route.textValue(), priority, Duration.ofSeconds(ttl));
  }

  private static Duration globalTtl(JsonNode sf, List<String> errors) {
    if (sf == null || sf.path("timeToLiveSecs").isMissingNode()) {
      return null;
    }
    JsonNode t = sf.get("timeToLiveSecs");
    if (!t.canConvertToExactIntegral() || t.asLong() == 0 || t.asLong() > MAX_TTL_SECS) {
      errors.add(
          "storeAndForwardConfiguration.timeToLiveSecs: expected a non-zero integer up to "
              + MAX_TTL_SECS
              + ", got "
              + t);
      return null;
    }
    // A negative TTL means forever, in Clearway as in the routes.
    return Duration.ofSeconds(t.asLong() < 0 ? -1 : t.asLong());
  }

  private static String hocon(String schema, List<RouteSpec> specs, Duration global, List<String> warnings) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Imported from an IoT Edge deployment manifest ($edgeHub schemaVersion ")
        .append(schema)
        .append(").\n");
    warnings.forEach(w -> sb.append("# warning: ").append(w).append('\n'));
    sb.append("clearway {\n  routes {\n");
    for (RouteSpec s : specs) {
      String key = ConfigUtil.joinPath(s.name());
      if (s.isBare() && s.timeToLive().isZero()) {
        sb.append("    ").append(key).append(" = ").append(ConfigUtil.quoteString(s.text())).append('\n');
        continue;
      }
      sb.append("    ").append(key).append(" {\n");
      sb.append("      route = ").append(ConfigUtil.quoteString(s.text())).append('\n');
      if (!s.isBare()) {
        sb.append("      priority = ").append(s.priority()).append('\n');
      }
      if (!s.timeToLive().isZero()) {
        sb.append("      time-to-live = ").append(s.timeToLive().getSeconds()).append("s\n");
      }
      sb.append("    }\n");
    }
    sb.append("  }\n");
    if (global != null) {
      sb.append("  store-and-forward.time-to-live = ").append(global.getSeconds()).append("s\n");
    }
    return sb.append("}\n").toString();
  }
}

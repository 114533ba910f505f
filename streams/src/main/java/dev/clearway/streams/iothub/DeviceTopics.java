package dev.clearway.streams.iothub;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * IoT Hub's MQTT topic names, as devices and modules use them: what a device publishes to, what it
 * subscribes to, and the topics the gateway publishes back on. Parsing checks that every id in a
 * topic is the connection's own identity — anything else is {@link Foreign}, and the connection is
 * closed, as IoT Hub does.
 */
public final class DeviceTopics {
  private DeviceTopics() {}

  /** What a PUBLISH from a device means. */
  public sealed interface Publish permits Telemetry, TwinGet, TwinReportedPatch, MethodResponse, Foreign, Unsupported {}

  /** Telemetry; {@code bag} is the raw (still encoded) property bag after the events segment. */
  public record Telemetry(String bag) implements Publish {}

  /** {@code $iothub/twin/GET/?$rid={rid}}. */
  public record TwinGet(String rid) implements Publish {}

  /** {@code $iothub/twin/PATCH/properties/reported/?$rid={rid}}. */
  public record TwinReportedPatch(String rid) implements Publish {}

  /** {@code $iothub/methods/res/{status}/?$rid={rid}}. */
  public record MethodResponse(int status, String rid) implements Publish {}

  /** The topic names another identity: an impersonation attempt. */
  public record Foreign(String reason) implements Publish {}

  /** Not a topic IoT Hub accepts from devices. */
  public record Unsupported(String reason) implements Publish {}

  /** What a SUBSCRIBE topic filter asks for. */
  public enum Subscription {
    CLOUD_TO_DEVICE,
    MODULE_INPUTS,
    TWIN_RESPONSES,
    DESIRED_PROPERTIES,
    METHODS
  }

  /** Parses a filter: a subscription, or the reason it is refused; {@code foreign} marks impersonation. */
  public record SubscriptionParse(Optional<Subscription> subscription, String refusal, boolean foreign) {
    static SubscriptionParse ok(Subscription s) {
      return new SubscriptionParse(Optional.of(s), "", false);
    }

    static SubscriptionParse refused(String why, boolean foreign) {
      return new SubscriptionParse(Optional.empty(), why, foreign);
    }
  }

  /** Parses the topic of a PUBLISH from the connection of {@code deviceId} (and {@code moduleId}). */
  public static Publish parsePublish(String topic, String deviceId, Optional<String> moduleId) {
    if (topic.startsWith("$iothub/")) {
      return parseIotHub(topic);
    }
    String[] s = topic.split("/", -1);
    if (s.length < 4 || !s[0].equals("devices")) {
      return new Unsupported("'" + topic + "' is not an IoT Hub device topic");
    }
    if (!s[1].equals(deviceId)) {
      return new Foreign("topic '" + topic + "' names device '" + s[1] + "', not the connected '" + deviceId + "'");
    }
    int events;
    if (s[2].equals("modules")) {
      if (s.length < 6 || !s[4].equals("messages") || !s[5].equals("events")) {
        return new Unsupported("'" + topic + "' is not a module telemetry topic (devices/{d}/modules/{m}/messages/events/)");
      }
      if (moduleId.isEmpty() || !s[3].equals(moduleId.get())) {
        return new Foreign("topic '" + topic + "' names module '" + s[3] + "', not the connected identity");
      }
      events = 5;
    } else {
      if (!s[2].equals("messages") || !s[3].equals("events")) {
        return new Unsupported("'" + topic + "' is not a telemetry topic (devices/{d}/messages/events/)");
      }
      if (moduleId.isPresent()) {
        return new Foreign("module '" + deviceId + "/" + moduleId.get() + "' published on its device's topic '" + topic + "'");
      }
      events = 3;
    }
    // Everything after "events/" is the property bag (it may itself contain '/').
    int prefix = 0;
    for (int i = 0; i <= events; i++) {
      prefix += s[i].length() + 1;
    }
    return new Telemetry(prefix >= topic.length() ? "" : topic.substring(prefix));
  }

  private static Publish parseIotHub(String topic) {
    int q = topic.indexOf("/?");
    String path = q < 0 ? topic : topic.substring(0, q);
    Map<String, String> query = q < 0 ? Map.of() : query(topic.substring(q + 2));
    String rid = query.get("$rid");
    if (path.equals("$iothub/twin/GET")) {
      return rid == null ? missingRid(topic) : new TwinGet(rid);
    }
    if (path.equals("$iothub/twin/PATCH/properties/reported")) {
      return rid == null ? missingRid(topic) : new TwinReportedPatch(rid);
    }
    if (path.startsWith("$iothub/methods/res/")) {
      String status = path.substring("$iothub/methods/res/".length());
      if (rid == null) {
        return missingRid(topic);
      }
      try {
        return new MethodResponse(Integer.parseInt(status), rid);
      } catch (NumberFormatException e) {
        return new Unsupported("method response '" + topic + "' has a status '" + status + "' that is not a number");
      }
    }
    return new Unsupported("'" + topic + "' is not a topic devices may publish to");
  }

  private static Publish missingRid(String topic) {
    return new Unsupported("'" + topic + "' has no $rid request id");
  }

  private static Map<String, String> query(String q) {
    Map<String, String> m = new HashMap<>();
    for (String pair : q.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        m.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    return m;
  }

  /** Parses a SUBSCRIBE filter from the connection of {@code deviceId} (and {@code moduleId}). */
  public static SubscriptionParse parseSubscription(String filter, String deviceId, Optional<String> moduleId) {
    switch (filter) {
      case "$iothub/twin/res/#":
        return SubscriptionParse.ok(Subscription.TWIN_RESPONSES);
      case "$iothub/twin/PATCH/properties/desired/#":
        return SubscriptionParse.ok(Subscription.DESIRED_PROPERTIES);
      case "$iothub/methods/POST/#":
        return SubscriptionParse.ok(Subscription.METHODS);
      default:
        break;
    }
    String[] s = filter.split("/", -1);
    if (s.length >= 3 && s[0].equals("devices")) {
      if (!s[1].equals(deviceId)) {
        return SubscriptionParse.refused("filter '" + filter + "' names device '" + s[1] + "', not the connected '" + deviceId + "'", true);
      }
      if (moduleId.isEmpty() && List.of(s).equals(List.of("devices", deviceId, "messages", "devicebound", "#"))) {
        return SubscriptionParse.ok(Subscription.CLOUD_TO_DEVICE);
      }
      if (s[2].equals("modules") && s.length >= 4) {
        if (moduleId.isEmpty() || !s[3].equals(moduleId.get())) {
          return SubscriptionParse.refused("filter '" + filter + "' names module '" + s[3] + "', not the connected identity", true);
        }
        boolean all = s.length == 5 && s[4].equals("#");
        boolean inputs = s.length == 6 && s[4].equals("inputs") && s[5].equals("#");
        if (all || inputs) {
          return SubscriptionParse.ok(Subscription.MODULE_INPUTS);
        }
      }
    }
    return SubscriptionParse.refused("'" + filter + "' is not a topic filter IoT Hub offers to this identity", false);
  }

  // --- topics the gateway publishes to devices --------------------------------------------------

  /** A cloud-to-device message: {@code devices/{d}/messages/devicebound/{bag}}. */
  public static String cloudToDevice(String deviceId, String bag) {
    return "devices/" + deviceId + "/messages/devicebound/" + bag;
  }

  /** A routed message for a module input: {@code devices/{d}/modules/{m}/inputs/{input}/{bag}}. */
  public static String moduleInput(String deviceId, String moduleId, String input, String bag) {
    return "devices/" + deviceId + "/modules/" + moduleId + "/inputs/" + input + "/" + bag;
  }

  /** A twin response: {@code $iothub/twin/res/{status}/?$rid={rid}[&$version={v}]}. */
  public static String twinResponse(int status, String rid, Optional<Long> version) {
    return "$iothub/twin/res/" + status + "/?$rid=" + rid + version.map(v -> "&$version=" + v).orElse("");
  }

  /** A desired-properties patch: {@code $iothub/twin/PATCH/properties/desired/?$version={v}}. */
  public static String desiredPatch(long version) {
    return "$iothub/twin/PATCH/properties/desired/?$version=" + version;
  }

  /** A direct-method request: {@code $iothub/methods/POST/{method}/?$rid={rid}}. */
  public static String methodRequest(String method, String rid) {
    return "$iothub/methods/POST/" + method + "/?$rid=" + rid;
  }
}

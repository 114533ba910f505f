package dev.clearway.actors.hub;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * The hub side of IoT Hub's MQTT topics, written apart from {@code dev.clearway.streams.iothub} on
 * purpose (the stand-in must not share the gateway's parsers).
 */
final class HubTopics {
  static final String IOTHUB = "$iothub/";

  private HubTopics() {}

  /** A telemetry topic: {@code devices/{d}/messages/events/{bag}} or the module form. */
  record TelemetryTopic(String deviceId, Optional<String> moduleId, Map<String, String> properties) {
    String identity() {
      return moduleId.map(m -> deviceId + "/" + m).orElse(deviceId);
    }
  }

  /** What a client asked for on {@code $iothub/...}. */
  sealed interface Request permits TwinGet, ReportedPatch, MethodResponse, Unknown {}

  record TwinGet(String rid) implements Request {}

  record ReportedPatch(String rid) implements Request {}

  record MethodResponse(int status, String rid) implements Request {}

  record Unknown(String topic) implements Request {}

  static Optional<TelemetryTopic> telemetry(String topic) {
    String[] s = topic.split("/", -1);
    if (s.length >= 4 && s[0].equals("devices") && s[2].equals("messages") && s[3].equals("events")) {
      return Optional.of(new TelemetryTopic(s[1], Optional.empty(), bagAfter(topic, 4)));
    }
    if (s.length >= 6 && s[0].equals("devices") && s[2].equals("modules") && s[4].equals("messages") && s[5].equals("events")) {
      return Optional.of(new TelemetryTopic(s[1], Optional.of(s[3]), bagAfter(topic, 6)));
    }
    return Optional.empty();
  }

  /** Parses a client's {@code $iothub/...} publish; the {@code $rid} is kept as sent, to be echoed. */
  static Request request(String topic) {
    int q = topic.indexOf("/?");
    String path = q < 0 ? topic : topic.substring(0, q);
    Map<String, String> query = q < 0 ? Map.of() : rawQuery(topic.substring(q + 2));
    String rid = query.get("$rid");
    if (rid == null) {
      return new Unknown(topic);
    }
    if (path.equals("$iothub/twin/GET")) {
      return new TwinGet(rid);
    }
    if (path.equals("$iothub/twin/PATCH/properties/reported")) {
      return new ReportedPatch(rid);
    }
    String methodResponse = "$iothub/methods/res/";
    if (path.startsWith(methodResponse)) {
      try {
        return new MethodResponse(Integer.parseInt(path.substring(methodResponse.length())), rid);
      } catch (NumberFormatException e) {
        return new Unknown(topic);
      }
    }
    return new Unknown(topic);
  }

  static String twinResponse(int status, String rid) {
    return "$iothub/twin/res/" + status + "/?$rid=" + rid;
  }

  static String twinResponse(int status, String rid, long version) {
    return twinResponse(status, rid) + "&$version=" + version;
  }

  static String desiredPatch(long version) {
    return "$iothub/twin/PATCH/properties/desired/?$version=" + version;
  }

  static String methodRequest(String name, String rid) {
    return "$iothub/methods/POST/" + name + "/?$rid=" + rid;
  }

  static String cloudToDevice(String deviceId, Map<String, String> properties) {
    return "devices/" + deviceId + "/messages/devicebound/" + encodeBag(properties);
  }

  /** {@code k=v&k2=v2}, url-encoded (spaces as %20, as IoT Hub writes them). */
  static String encodeBag(Map<String, String> properties) {
    StringJoiner bag = new StringJoiner("&");
    properties.forEach((k, v) -> bag.add(encode(k) + "=" + encode(v)));
    return bag.toString();
  }

  /** Decodes a property bag; a trailing {@code /} and empty parts are ignored, a bare key has value "". */
  static Map<String, String> decodeBag(String bag) {
    Map<String, String> properties = new LinkedHashMap<>();
    String b = bag.endsWith("/") ? bag.substring(0, bag.length() - 1) : bag;
    for (String part : b.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      String v = eq < 0 ? "" : part.substring(eq + 1);
      properties.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return properties;
  }

  private static Map<String, String> bagAfter(String topic, int segments) {
    int at = 0;
    for (int i = 0; i < segments; i++) {
      at = topic.indexOf('/', at) + 1;
      if (at == 0) {
        return Map.of(); // no '/' after ".../events": no bag at all
      }
    }
    return decodeBag(topic.substring(at));
  }

  private static Map<String, String> rawQuery(String query) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : query.split("&")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        fields.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return fields;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}

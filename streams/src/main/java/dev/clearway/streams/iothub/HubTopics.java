package dev.clearway.streams.iothub;

import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The client side of IoT Hub's MQTT device protocol, as the gateway speaks it upstream on behalf of
 * one identity: the user name and topics it publishes, the topic filters it subscribes to, and the
 * hub's topics it receives. {@link DeviceTopics} is the other side, facing the devices.
 */
public final class HubTopics {

  /** The IoT Hub MQTT API version the uplink announces in its user name. */
  public static final String API_VERSION = "2021-04-12";

  /**
   * The system properties a device may set that travel to the hub in the property bag. The ones
   * the hub stamps itself (connection ids, enqueued time, {@code to}) and gateway-internal ones are
   * not sent: the hub derives them from the authenticated connection.
   */
  private static final Set<SystemProperty> FORWARDED = EnumSet.of(
      SystemProperty.MESSAGE_ID, SystemProperty.CORRELATION_ID, SystemProperty.USER_ID, SystemProperty.CONTENT_TYPE,
      SystemProperty.CONTENT_ENCODING, SystemProperty.OUTPUT_NAME, SystemProperty.MESSAGE_SCHEMA, SystemProperty.CREATION_TIME,
      SystemProperty.EXPIRY_TIME_UTC, SystemProperty.DT_SUBJECT, SystemProperty.IOTHUB_INTERFACE_ID);

  private HubTopics() {}

  /** The MQTT client id of an identity: {@code device} or {@code device/module}. */
  public static String clientId(String deviceId, Optional<String> moduleId) {
    return moduleId.map(m -> deviceId + "/" + m).orElse(deviceId);
  }

  /** The CONNECT user name: {@code {hub}/{clientId}/?api-version=…}. */
  public static String userName(String hubHostname, String clientId) {
    return hubHostname + "/" + clientId + "/?api-version=" + API_VERSION;
  }

  /**
   * The telemetry topic for a message, sent as the identity that sent it to the gateway:
   * {@code devices/{d}[/modules/{m}]/messages/events/{bag}} with the forwarded system properties and
   * every application property.
   */
  public static String telemetry(Message message) {
    String deviceId = message.systemProperty(SystemProperty.CONNECTION_DEVICE_ID);
    String moduleId = message.systemProperty(SystemProperty.CONNECTION_MODULE_ID);
    List<PropertyBag.Entry> bag = new ArrayList<>();
    message.systemProperties().forEach((p, v) -> {
      if (FORWARDED.contains(p)) {
        bag.add(new PropertyBag.Entry(SystemKeys.bagKey(p.propertyName()).orElseThrow(), v));
      }
    });
    message.properties().forEach((k, v) -> bag.add(new PropertyBag.Entry(k, v)));
    String prefix = moduleId == null ? "devices/" + deviceId : "devices/" + deviceId + "/modules/" + moduleId;
    return prefix + "/messages/events/" + PropertyBag.encode(bag);
  }

  /** What the uplink subscribes to for an identity: cloud-to-device (devices only), twin and methods. */
  public static List<String> subscriptions(String deviceId, Optional<String> moduleId) {
    List<String> filters = new ArrayList<>();
    if (moduleId.isEmpty()) {
      filters.add("devices/" + deviceId + "/messages/devicebound/#");
    }
    filters.add("$iothub/twin/res/#");
    filters.add("$iothub/twin/PATCH/properties/desired/#");
    filters.add("$iothub/methods/POST/#");
    return filters;
  }

  /** A twin GET request. */
  public static String twinGet(String rid) {
    return "$iothub/twin/GET/?$rid=" + rid;
  }

  /** A reported-properties patch. */
  public static String reportedPatch(String rid) {
    return "$iothub/twin/PATCH/properties/reported/?$rid=" + rid;
  }

  /** The answer to a direct-method request. */
  public static String methodResponse(int status, String rid) {
    return "$iothub/methods/res/" + status + "/?$rid=" + rid;
  }

  // --- what the hub sends --------------------------------------------------------------------------

  /** A topic the hub published on, parsed. */
  public sealed interface FromHub permits CloudToDevice, TwinResponse, DesiredPatch, MethodRequest, Unknown {}

  /** A cloud-to-device message with its decoded property bag. */
  public record CloudToDevice(List<PropertyBag.Entry> bag) implements FromHub {}

  /** An answer to a twin GET or reported patch. */
  public record TwinResponse(int status, String rid, Optional<Long> version) implements FromHub {}

  /** A desired-properties patch. */
  public record DesiredPatch(long version) implements FromHub {}

  /** A direct-method request. */
  public record MethodRequest(String method, String rid) implements FromHub {}

  /** Anything else, with why it was not understood. */
  public record Unknown(String reason) implements FromHub {}

  /** Parses a topic the hub published to the identity's connection. */
  public static FromHub parse(String topic, String deviceId) {
    String c2d = "devices/" + deviceId + "/messages/devicebound/";
    try {
      if (topic.startsWith(c2d)) {
        return new CloudToDevice(PropertyBag.decode(topic.substring(c2d.length())));
      }
      if (topic.startsWith("$iothub/twin/res/")) {
        String rest = topic.substring("$iothub/twin/res/".length());
        int slash = rest.indexOf('/');
        Map<String, String> query = query(rest.substring(slash + 1));
        String version = query.get("$version");
        return new TwinResponse(Integer.parseInt(rest.substring(0, slash)), require(query, "$rid", topic),
            Optional.ofNullable(version).map(Long::parseLong));
      }
      if (topic.startsWith("$iothub/twin/PATCH/properties/desired/")) {
        Map<String, String> query = query(topic.substring("$iothub/twin/PATCH/properties/desired/".length()));
        return new DesiredPatch(Long.parseLong(require(query, "$version", topic)));
      }
      if (topic.startsWith("$iothub/methods/POST/")) {
        String rest = topic.substring("$iothub/methods/POST/".length());
        int slash = rest.indexOf('/');
        if (slash <= 0) {
          return new Unknown("method request without a method name: " + topic);
        }
        return new MethodRequest(rest.substring(0, slash), require(query(rest.substring(slash + 1)), "$rid", topic));
      }
    } catch (PropertyBag.MalformedBagException | NumberFormatException | StringIndexOutOfBoundsException e) {
      return new Unknown("malformed topic " + topic + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      return new Unknown(e.getMessage());
    }
    return new Unknown("not a topic the hub sends to this identity: " + topic);
  }

  /** {@code ?a=1&b=2} (or without the {@code ?}) as a map of decoded entries. */
  private static Map<String, String> query(String part) throws PropertyBag.MalformedBagException {
    String q = part.startsWith("?") ? part.substring(1) : part;
    Map<String, String> out = new java.util.HashMap<>();
    for (PropertyBag.Entry e : PropertyBag.decode(q)) {
      out.put(e.name(), e.value());
    }
    return out;
  }

  private static String require(Map<String, String> query, String key, String topic) {
    String v = query.get(key);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("topic without " + key + ": " + topic);
    }
    return v;
  }
}

package dev.clearway.streams.iothub;

import java.util.Map;
import java.util.Optional;

/**
 * The system-property keys of IoT Hub's MQTT property bag, and the route language's names for
 * them (the {@code $name} a condition uses, without the {@code $}).
 */
public final class SystemKeys {
  private SystemKeys() {}

  private static final Map<String, String> BAG_TO_ROUTE = Map.ofEntries(
      Map.entry("$.mid", "messageId"),
      Map.entry("$.cid", "correlationId"),
      Map.entry("$.uid", "userId"),
      Map.entry("$.to", "to"),
      Map.entry("$.exp", "expiryTimeUtc"),
      Map.entry("$.ct", "contentType"),
      Map.entry("$.ce", "contentEncoding"),
      Map.entry("$.on", "outputName"),
      Map.entry("$.schema", "messageSchema"),
      Map.entry("$.ctime", "creationTime"),
      Map.entry("$.ifid", "iothub-interface-id"),
      Map.entry("$.sub", "dt-subject"),
      // On module inputs IoT Hub names the sender; from a device these keys never decide anything,
      // because the connection's authenticated identity overrides them.
      Map.entry("$.cdid", "connectionDeviceId"),
      Map.entry("$.cmid", "connectionModuleId"));

  /** The route-language name of a bag system key ({@code $.ct} → {@code contentType}), if it is one. */
  public static Optional<String> routeName(String bagKey) {
    return Optional.ofNullable(BAG_TO_ROUTE.get(bagKey));
  }

  /** The bag key of a route-language system property name, if it has one. */
  public static Optional<String> bagKey(String routeName) {
    return BAG_TO_ROUTE.entrySet().stream().filter(e -> e.getValue().equals(routeName)).map(Map.Entry::getKey).findFirst();
  }
}

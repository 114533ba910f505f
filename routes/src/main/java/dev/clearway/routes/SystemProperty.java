package dev.clearway.routes;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The system properties a message can carry, by the names that route conditions use after {@code $}
 * (ROUTES.md, "Values and names"). {@code $correlationId} and {@code $expiryTimeUtc} are ordinary
 * members here, which is how they work where the reference hub reads them as undefined.
 */
public enum SystemProperty {
  MESSAGE_ID("messageId"),
  CORRELATION_ID("correlationId"),
  USER_ID("userId"),
  TO("to"),
  CONTENT_TYPE("contentType"),
  CONTENT_ENCODING("contentEncoding"),
  CONNECTION_DEVICE_ID("connectionDeviceId"),
  CONNECTION_MODULE_ID("connectionModuleId"),
  OUTPUT_NAME("outputName"),
  INPUT_NAME("inputName"),
  MESSAGE_SCHEMA("messageSchema"),
  CREATION_TIME("creationTime"),
  ENQUEUED_TIME("enqueuedTime"),
  EXPIRY_TIME_UTC("expiryTimeUtc"),
  DT_SUBJECT("dt-subject"),
  IOTHUB_INTERFACE_ID("iothub-interface-id"),
  /** {@code downstream} for leaf devices, {@code internal} for modules. */
  EDGE_HUB_ORIGIN_INTERFACE("edgeHubOriginInterface");

  private static final Map<String, SystemProperty> BY_FOLDED_NAME =
      Stream.of(values())
          .collect(Collectors.toUnmodifiableMap(p -> fold(p.propertyName), Function.identity()));

  private final String propertyName;

  SystemProperty(String propertyName) {
    this.propertyName = propertyName;
  }

  /** The name as written in conditions without the {@code $}, e.g. {@code connectionDeviceId}. */
  public String propertyName() {
    return propertyName;
  }

  /** Looks a name up ignoring case; a leading {@code $} is allowed. */
  public static Optional<SystemProperty> byName(String name) {
    String bare = name.startsWith("$") ? name.substring(1) : name;
    return Optional.ofNullable(BY_FOLDED_NAME.get(fold(bare)));
  }

  /** Every name, comma separated, for error messages. */
  public static String allNames() {
    return Stream.of(values()).map(p -> "$" + p.propertyName).collect(Collectors.joining(" "));
  }

  static String fold(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}

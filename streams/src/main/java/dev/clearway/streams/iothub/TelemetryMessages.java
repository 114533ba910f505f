package dev.clearway.streams.iothub;

import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Turns a device's telemetry (topic property bag and payload) into a {@link Message}, as IoT Hub
 * does: the bag's system keys become system properties, every other key an application property,
 * and the connection's authenticated identity — never anything the device wrote — becomes
 * {@code $connectionDeviceId} / {@code $connectionModuleId}.
 */
public final class TelemetryMessages {
  /** The application property that carries an MQTT PUBLISH's RETAIN flag (IoT Hub stores nothing). */
  public static final String RETAIN_PROPERTY = "mqtt-retain";

  private TelemetryMessages() {}

  /**
   * @param deviceId the authenticated device
   * @param moduleId the authenticated module, for module telemetry
   * @param bag the decoded property bag
   * @param body the payload, taken as the message's body (not copied: the caller must not change it afterwards)
   * @param retain the PUBLISH's RETAIN flag
   * @param enqueued when the gateway received it ({@code $enqueuedTime})
   */
  public static Message fromDevice(String deviceId, Optional<String> moduleId, List<PropertyBag.Entry> bag, byte[] body,
      boolean retain, Instant enqueued) {
    Message.Builder b = Message.builder().wrapBody(body);
    String outputName = null;
    for (PropertyBag.Entry e : bag) {
      Optional<SystemProperty> system = SystemKeys.routeName(e.name()).flatMap(SystemProperty::byName);
      if (system.isPresent()) {
        if (system.get() == SystemProperty.OUTPUT_NAME) {
          outputName = e.value();
        }
        b.systemProperty(system.get(), e.value());
      } else {
        b.property(e.name(), e.value());
      }
    }
    if (retain) {
      b.property(RETAIN_PROPERTY, "true");
    }
    // Identity comes from authentication only; a device cannot claim another's ids.
    b.systemProperty(SystemProperty.CONNECTION_DEVICE_ID, deviceId);
    b.systemProperty(SystemProperty.CONNECTION_MODULE_ID, moduleId.orElse(null));
    b.systemProperty(SystemProperty.ENQUEUED_TIME, enqueued.toString());
    b.systemProperty(SystemProperty.EDGE_HUB_ORIGIN_INTERFACE, moduleId.isPresent() ? "internal" : "downstream");
    b.source(source(moduleId, Optional.ofNullable(outputName)));
    return b.build();
  }

  /** {@code /messages}, {@code /messages/modules/{m}} or {@code /messages/modules/{m}/outputs/{o}} (ROUTES.md, Sources). */
  static String source(Optional<String> moduleId, Optional<String> outputName) {
    if (moduleId.isEmpty()) {
      return "/messages";
    }
    String module = "/messages/modules/" + moduleId.get();
    return outputName.filter(o -> !o.isEmpty()).map(o -> module + "/outputs/" + o).orElse(module);
  }
}

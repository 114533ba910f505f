package dev.clearway.actors.identity;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A device or module in this gateway's scope (one of its children).
 *
 * @param deviceId the device id
 * @param moduleId the module id, for a module identity
 * @param credentials how it authenticates (modules use symmetric keys)
 */
public record Identity(String deviceId, Optional<String> moduleId, Credentials credentials) {
  // IoT Hub's rule for device and module ids: up to 128 of these characters.
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.%_*?!(),:=@$']{1,128}");

  public Identity {
    requireId(deviceId, "device id");
    moduleId.ifPresent(m -> requireId(m, "module id"));
    if (moduleId.isPresent() && !(credentials instanceof Credentials.SymmetricKey)) {
      throw new IllegalArgumentException("modules authenticate with symmetric keys only");
    }
  }

  /** {@code deviceId} or {@code deviceId/moduleId}: the MQTT client id and the registry key. */
  public String id() {
    return moduleId.map(m -> deviceId + "/" + m).orElse(deviceId);
  }

  public boolean isModule() {
    return moduleId.isPresent();
  }

  static void requireId(String id, String what) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("invalid " + what + " '" + id + "': use 1-128 letters, digits or - . % _ * ? ! ( ) , : = @ $ '");
    }
  }
}

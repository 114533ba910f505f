package dev.clearway.actors.identity;

import java.util.Optional;
import dev.clearway.tls.IotHubIds;

/**
 * A device or module in this gateway's scope (one of its children).
 *
 * @param deviceId the device id
 * @param moduleId the module id, for a module identity
 * @param credentials how it authenticates (modules use symmetric keys)
 */
public record Identity(String deviceId, Optional<String> moduleId, Credentials credentials) {
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
    if (!IotHubIds.isValid(id)) {
      throw new IllegalArgumentException("invalid " + what + " '" + id + "': " + IotHubIds.RULE);
    }
  }
}

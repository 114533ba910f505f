package dev.clearway.actors.mqtt;

import java.util.Optional;

/**
 * IoT Hub's MQTT user name: {@code {host}/{deviceId}/?api-version=…} or
 * {@code {host}/{deviceId}/{moduleId}/?api-version=…}, possibly with more {@code &k=v} pairs
 * ({@code DeviceClientType}, {@code model-id}, …). The host segment is ignored (devices name the hub,
 * not the gateway); the ids must be the client id. The demo's hub stand-in checks it the same way.
 */
public final class MqttUsername {
  private MqttUsername() {}

  /** Empty when the user name fits the client id; otherwise the problem, in one line. */
  public static Optional<String> check(Optional<String> username, String clientId) {
    if (username.isEmpty()) {
      return Optional.of("CONNECT has no user name (expected {hub}/" + clientId + "/?api-version=…)");
    }
    String u = username.get();
    int q = u.indexOf('?');
    String path = q < 0 ? u : u.substring(0, q);
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    int slash = path.indexOf('/');
    if (slash <= 0) {
      return Optional.of("user name '" + u + "' is not {hub}/{deviceId}[/{moduleId}]/?api-version=…");
    }
    String ids = path.substring(slash + 1);
    if (!ids.equals(clientId)) {
      return Optional.of("user name names '" + ids + "' but the client id is '" + clientId + "'");
    }
    return Optional.empty();
  }
}

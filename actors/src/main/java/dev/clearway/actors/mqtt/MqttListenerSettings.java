package dev.clearway.actors.mqtt;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * The {@code clearway.mqtt} settings: where the MQTT/TLS listener binds and the limits of each
 * connection. Every key is documented in actors' reference.conf.
 */
public record MqttListenerSettings(
    String bindAddress,
    int port,
    Duration tlsHandshakeTimeout,
    Duration connectTimeout,
    int maxConnections,
    int outboundBuffer,
    Duration sessionAttachTimeout,
    Duration closeLinger) {

  private static final String PREFIX = "clearway.mqtt.";

  public static MqttListenerSettings fromConfig(Config root) {
    Config c = root.getConfig("clearway.mqtt");
    int port = intIn(c, "port", 0, 65535);
    return new MqttListenerSettings(c.getString("bind-address"), port, positive(c, "tls-handshake-timeout"),
        positive(c, "connect-timeout"), intIn(c, "max-connections", 1, 1_000_000), intIn(c, "outbound-buffer", 8, 65536),
        positive(c, "session-attach-timeout"), positive(c, "close-linger"));
  }

  /** A copy listening on another port (tests bind port 0 or 8883). */
  public MqttListenerSettings withPort(int newPort) {
    return new MqttListenerSettings(bindAddress, newPort, tlsHandshakeTimeout, connectTimeout, maxConnections, outboundBuffer,
        sessionAttachTimeout, closeLinger);
  }

  private static int intIn(Config c, String key, int min, int max) {
    int v;
    try {
      v = c.getInt(key);
    } catch (ConfigException.WrongType e) {
      throw new IllegalArgumentException(PREFIX + key + ": must be a whole number");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(PREFIX + key + ": must be between " + min + " and " + max + ", was " + v);
    }
    return v;
  }

  private static Duration positive(Config c, String key) {
    Duration d;
    try {
      d = c.getDuration(key);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw new IllegalArgumentException(PREFIX + key + ": must be a duration such as 10s");
    }
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(PREFIX + key + ": must be positive, was " + d);
    }
    return d;
  }
}

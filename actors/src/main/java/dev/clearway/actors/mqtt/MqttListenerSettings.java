package dev.clearway.actors.mqtt;

import com.typesafe.config.Config;
import dev.clearway.actors.config.SettingsReader;
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

  public static MqttListenerSettings fromConfig(Config root) {
    SettingsReader r = new SettingsReader(root, "clearway.mqtt");
    return new MqttListenerSettings(r.config().getString("bind-address"), r.intIn("port", 0, 65535),
        r.positiveDuration("tls-handshake-timeout"), r.positiveDuration("connect-timeout"),
        r.intIn("max-connections", 1, 1_000_000), r.intIn("outbound-buffer", 8, 65536),
        r.positiveDuration("session-attach-timeout"), r.positiveDuration("close-linger"));
  }
}

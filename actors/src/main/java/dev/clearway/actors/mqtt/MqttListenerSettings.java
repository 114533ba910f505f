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
    int maxPendingPublishes,
    Duration sessionAttachTimeout,
    Duration closeLinger) {

  public static MqttListenerSettings fromConfig(Config root) {
    SettingsReader r = new SettingsReader(root, "clearway.mqtt");
    int outboundBuffer = r.intIn("outbound-buffer", 8, 65536);
    // Each waiting message owes its device a PUBACK, which must fit the outbound buffer.
    int maxPendingPublishes = r.intIn("max-pending-publishes", 1, outboundBuffer - 1);
    return new MqttListenerSettings(r.config().getString("bind-address"), r.intIn("port", 0, 65535),
        r.positiveDuration("tls-handshake-timeout"), r.positiveDuration("connect-timeout"),
        r.intIn("max-connections", 1, 1_000_000), outboundBuffer, maxPendingPublishes,
        r.positiveDuration("session-attach-timeout"), r.positiveDuration("close-linger"));
  }
}

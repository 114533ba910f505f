package dev.clearway.actors.upstream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.clearway.actors.config.SettingsReader;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.tls.TlsSettings;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code clearway.upstream} settings and the gateway's own hub identity ({@code clearway.hub}).
 * Every key is documented in actors' reference.conf; a wrong value stops the start with one line
 * naming the key.
 *
 * @param enabled false while {@code clearway.hub.hostname} is empty: nothing is sent upstream
 * @param hubHostname the IoT Hub name tokens are signed for
 * @param gatewayDeviceId the gateway's own device id ("" when unset)
 * @param gatewayKey the gateway's own symmetric key, for on-behalf-of tokens
 * @param address where the uplink dials (unresolved: resolved at each connection attempt)
 * @param tls whether the uplink uses TLS
 * @param trustBundle the roots the hub's certificate must chain to; empty for the system trust store
 */
public record UpstreamSettings(
    boolean enabled,
    String hubHostname,
    String gatewayDeviceId,
    Optional<String> gatewayKey,
    InetSocketAddress address,
    boolean tls,
    Optional<Path> trustBundle,
    int batchMaxMessages,
    long batchMaxBytes,
    Duration batchLinger,
    int maxInFlight,
    int maxInFlightPerIdentity,
    Duration pollInterval,
    int maxConnections,
    Duration idleTimeout,
    Duration connectTimeout,
    Duration keepAlive,
    Duration tokenTimeToLive,
    int outboundBuffer,
    Duration closeLinger,
    Duration stopTimeout,
    Duration minBackoff,
    Duration maxBackoff,
    double randomFactor) {

  /** IoT Hub's MQTT port. */
  public static final int DEFAULT_PORT = 8883;

  public static UpstreamSettings fromConfig(Config root) {
    String hub = root.getString("clearway.hub.hostname").trim();
    String gatewayId = root.getString("clearway.hub.device-id").trim();
    String key = root.getString("clearway.hub.shared-access-key").trim();
    if (!key.isEmpty()) {
      try {
        Credentials.requireBase64(key, "key");
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("clearway.hub.shared-access-key: is not valid base64 of at least 16 bytes");
      }
    }
    SettingsReader r = new SettingsReader(root, "clearway.upstream");
    String protocol = r.config().getString("protocol").trim();
    if (!protocol.equals("mqtt")) {
      throw new IllegalArgumentException("clearway.upstream.protocol: '" + protocol + "' is not supported; the uplink speaks mqtt");
    }
    boolean tls;
    try {
      tls = r.config().getBoolean("tls");
    } catch (ConfigException.WrongType e) {
      throw new IllegalArgumentException("clearway.upstream.tls: must be on or off");
    }
    InetSocketAddress address = address(r.config().getString("address").trim(), hub);
    Optional<Path> bundle = TlsSettings.location("clearway.upstream.trust-bundle-cert", r.config().getString("trust-bundle-cert"));
    Duration minBackoff = r.positiveDuration("reconnect.min-backoff");
    Duration maxBackoff = r.positiveDuration("reconnect.max-backoff");
    if (maxBackoff.compareTo(minBackoff) < 0) {
      throw new IllegalArgumentException("clearway.upstream.reconnect.max-backoff: must not be shorter than min-backoff (" + minBackoff + ")");
    }
    double randomFactor = r.config().getDouble("reconnect.random-factor");
    if (randomFactor < 0 || randomFactor > 1) {
      throw new IllegalArgumentException("clearway.upstream.reconnect.random-factor: must be between 0 and 1, was " + randomFactor);
    }
    int maxInFlight = r.intIn("max-in-flight", 1, 1_000_000);
    return new UpstreamSettings(
        !hub.isEmpty(), hub, gatewayId, key.isEmpty() ? Optional.empty() : Optional.of(key), address, tls, bundle,
        r.intIn("batch.max-messages", 1, 100_000),
        r.bytesUpTo("batch.max-bytes", Integer.MAX_VALUE),
        r.durationIn("batch.linger", Duration.ZERO, Duration.ofMinutes(1)),
        maxInFlight,
        r.intIn("max-in-flight-per-identity", 1, 65_535),
        r.positiveDuration("poll-interval"),
        r.intIn("max-connections", 1, 1_000_000),
        r.positiveDuration("idle-timeout"),
        r.positiveDuration("connect-timeout"),
        r.durationIn("keep-alive", Duration.ofSeconds(2), Duration.ofSeconds(65_535)),
        r.durationIn("token-time-to-live", Duration.ofSeconds(10), Duration.ofDays(365)),
        r.intIn("outbound-buffer", 16, 1_000_000),
        r.positiveDuration("close-linger"),
        r.positiveDuration("stop-timeout"),
        minBackoff, maxBackoff, randomFactor);
  }

  private static InetSocketAddress address(String value, String hub) {
    if (value.isEmpty()) {
      return InetSocketAddress.createUnresolved(hub.isEmpty() ? "localhost" : hub, DEFAULT_PORT);
    }
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new IllegalArgumentException("clearway.upstream.address: must be host:port, was '" + value + "'");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("clearway.upstream.address: the port of '" + value + "' is not a number");
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("clearway.upstream.address: port must be 1-65535, was " + port);
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** Where the uplink dials, as "host:port" for log lines. */
  public String addressText() {
    return address.getHostString() + ":" + address.getPort();
  }
}

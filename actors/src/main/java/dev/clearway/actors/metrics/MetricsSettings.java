package dev.clearway.actors.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.clearway.actors.config.SettingsReader;
import java.time.Duration;

/**
 * The {@code clearway.metrics} settings: where the metrics and health endpoints listen, and the
 * bounds of what they export. Every key is documented in actors' reference.conf.
 *
 * @param enabled whether the HTTP endpoints are served (the gateway counts either way)
 * @param host the address the endpoints bind to
 * @param port their port; 0 picks a free one
 * @param maxLabelValues the most distinct values of each per-identity or per-output label before
 *     further values are reported as {@code other}
 * @param quantileWindow the sliding window the summaries' quantiles are computed over
 * @param storeReadTimeout how long a scrape waits for the store's figures before it answers with the previous ones
 * @param maxConnections HTTP connections served at once
 */
public record MetricsSettings(boolean enabled, String host, int port, int maxLabelValues, Duration quantileWindow,
    Duration storeReadTimeout, int maxConnections) {

  /** The config subtree these settings are read from. */
  public static final String PATH = "clearway.metrics";

  public static MetricsSettings fromConfig(Config root) {
    SettingsReader r = new SettingsReader(root, PATH);
    boolean enabled;
    try {
      enabled = r.config().getBoolean("enabled");
    } catch (ConfigException.WrongType e) {
      throw new IllegalArgumentException(PATH + ".enabled: must be on or off");
    }
    String host = r.config().getString("host").trim();
    if (host.isEmpty()) {
      throw new IllegalArgumentException(PATH + ".host: must be an address to bind to, such as 0.0.0.0");
    }
    return new MetricsSettings(enabled, host, r.intIn("port", 0, 65535), r.intIn("max-label-values", 0, 100_000),
        r.durationIn("quantile-window", Duration.ofSeconds(3), Duration.ofHours(1)),
        r.durationIn("store-read-timeout", Duration.ofMillis(1), Duration.ofMinutes(1)), r.intIn("max-connections", 1, 1024));
  }
}

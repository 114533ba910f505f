package dev.clearway.actors.session;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * The {@code clearway.sessions} settings: the bounds of what one device session holds. Every key is
 * documented in actors' reference.conf.
 */
public record SessionSettings(
    int maxPendingCloudToDevice,
    int maxInflightCloudToDevice,
    int maxPendingMethods,
    Duration defaultMethodTimeout,
    int maxTwinBytes) {

  private static final String PREFIX = "clearway.sessions.";

  public static SessionSettings fromConfig(Config root) {
    Config c = root.getConfig("clearway.sessions");
    return new SessionSettings(
        intIn(c, "max-pending-cloud-to-device", 1, 10_000),
        intIn(c, "max-inflight-cloud-to-device", 1, 1_000),
        intIn(c, "max-pending-methods", 1, 10_000),
        methodTimeout(c),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("max-twin-size")));
  }

  private static Duration methodTimeout(Config c) {
    Duration d = c.getDuration("default-method-timeout");
    // PROTOCOL.md, Limits: a method's timeout is 5-300 s.
    if (d.compareTo(Duration.ofSeconds(5)) < 0 || d.compareTo(Duration.ofSeconds(300)) > 0) {
      throw new IllegalArgumentException(PREFIX + "default-method-timeout: must be between 5s and 300s, was " + d);
    }
    return d;
  }

  private static int intIn(Config c, String key, int min, int max) {
    int v = c.getInt(key);
    if (v < min || v > max) {
      throw new IllegalArgumentException(PREFIX + key + ": must be between " + min + " and " + max + ", was " + v);
    }
    return v;
  }
}

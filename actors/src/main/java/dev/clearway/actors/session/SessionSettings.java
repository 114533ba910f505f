package dev.clearway.actors.session;

import com.typesafe.config.Config;
import dev.clearway.actors.config.SettingsReader;
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
    int maxTwinBytes,
    int maxHeldTwinGets) {

  public static SessionSettings fromConfig(Config root) {
    SettingsReader r = new SettingsReader(root, "clearway.sessions");
    return new SessionSettings(
        r.intIn("max-pending-cloud-to-device", 1, 10_000),
        r.intIn("max-inflight-cloud-to-device", 1, 1_000),
        r.intIn("max-pending-methods", 1, 10_000),
        // PROTOCOL.md, Limits: a method's timeout is 5-300 s.
        r.durationIn("default-method-timeout", Duration.ofSeconds(5), Duration.ofSeconds(300)),
        r.bytesUpTo("max-twin-size", 1 << 20),
        r.intIn("max-held-twin-gets", 0, 1_000));
  }
}

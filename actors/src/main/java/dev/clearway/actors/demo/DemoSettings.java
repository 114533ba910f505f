package dev.clearway.actors.demo;

import com.typesafe.config.Config;
import dev.clearway.actors.config.SettingsReader;
import java.time.Duration;

/**
 * The {@code clearway.demo} settings: the bounds of what the demo holds. Every key is documented in
 * actors' reference.conf; the command line sets the devices, the rate and the duration.
 *
 * @param maxInFlightPerDevice QoS 1 messages one simulated device may have unacknowledged
 * @param maxTrackedMessages messages followed at once for the loss check, all devices together
 * @param drainTimeout how long the gateway gets to forward what it stored once the devices stop
 * @param connectTimeout how long a simulated device may take to connect
 * @param hubMaxConnections connections the hub stand-in serves at once
 */
record DemoSettings(int maxInFlightPerDevice, int maxTrackedMessages, Duration drainTimeout, Duration connectTimeout,
    int hubMaxConnections) {

  static DemoSettings fromConfig(Config root) {
    SettingsReader r = new SettingsReader(root, "clearway.demo");
    return new DemoSettings(
        r.intIn("max-in-flight-per-device", 1, 65_535),
        r.intIn("max-tracked-messages", 1_000, 100_000_000),
        r.positiveDuration("drain-timeout"),
        r.positiveDuration("connect-timeout"),
        r.intIn("hub-max-connections", 1, 100_000));
  }
}

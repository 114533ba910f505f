package dev.clearway.actors.upstream;

import dev.clearway.actors.hub.HubStandIn;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a fault test counts: messages sent, acknowledged by the gateway (PUBACK to the device) and
 * received by the hub stand-in, per message id. An acknowledged id the hub never received is a loss;
 * an id received more than once is a duplicate (allowed: the uplink is at least once).
 *
 * @param missing acknowledged ids the hub did not receive
 * @param duplicates receptions beyond the first, over all ids
 * @param unacknowledgedReceived ids received although their PUBACK never arrived (sent when the connection dropped)
 * @param unknown received ids that were never sent (a test bug, or another test's traffic)
 */
record Tally(int sent, int acked, int received, int distinctReceived, Set<String> missing, int duplicates,
    int unacknowledgedReceived, Set<String> unknown) {
  private static final Logger log = LoggerFactory.getLogger(Tally.class);

  /** Counts {@code load}'s messages against the hub's telemetry of the devices {@code ours} names. */
  static Tally of(TelemetryLoad load, HubStandIn hub, Predicate<String> ours) {
    Set<String> sent = load.sent();
    Set<String> acked = load.acked();
    Map<String, Integer> received = new HashMap<>();
    for (HubStandIn.Telemetry t : hub.telemetry()) {
      if (ours.test(t.deviceId())) {
        received.merge(TelemetryLoad.idOf(t.body()), 1, Integer::sum);
      }
    }
    Set<String> missing = new TreeSet<>(acked);
    missing.removeAll(received.keySet());
    Set<String> unknown = new TreeSet<>(received.keySet());
    unknown.removeAll(sent);
    int total = received.values().stream().mapToInt(Integer::intValue).sum();
    int unackedReceived = (int) received.keySet().stream().filter(id -> sent.contains(id) && !acked.contains(id)).count();
    return new Tally(sent.size(), acked.size(), total, received.size(), missing, total - received.size(), unackedReceived, unknown);
  }

  /**
   * Waits until the hub received every acknowledged message (at most {@code timeout}), logs the
   * figures under {@code test} and returns them; the caller asserts.
   */
  static Tally await(String test, TelemetryLoad load, HubStandIn hub, Predicate<String> ours, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Tally t = of(load, hub, ours);
    while (!t.missing().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200);
      t = of(load, hub, ours);
    }
    log.info("{}: {}", test, t.summary());
    return t;
  }

  /** One line with every figure, for logs and assertion messages. */
  String summary() {
    List<String> someMissing = missing.stream().limit(20).toList();
    return "sent " + sent + ", acknowledged " + acked + ", received " + received + " (" + distinctReceived + " distinct, "
        + duplicates + " duplicates, " + unacknowledgedReceived + " unacknowledged ones received), missing " + missing.size()
        + (missing.isEmpty() ? "" : " e.g. " + someMissing) + (unknown.isEmpty() ? "" : ", unknown " + unknown.size());
  }
}

package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.benchmarks.Payload.Stamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a phase counts: only the measured window, latency by intended send time, losses and duplicates. */
class PhaseRecorderTest {
  private static final long S = TimeUnit.SECONDS.toNanos(1);
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  // Starts at 1,000 s of nanoTime: 2 s warm-up, 3 s measured, so the window is [1002 s, 1005 s).
  private static final long T0 = 1000 * S;

  private static PhaseRecorder recorder() {
    return new PhaseRecorder(7, 2, T0, 2 * S, 3 * S, 10);
  }

  @Test
  void throughputCountsArrivalsAndAcknowledgementsInsideTheWindowOnly() {
    PhaseRecorder r = recorder();
    r.arrived(new Stamp(7, 0, 0, T0), T0 + S);                 // warm-up
    r.arrived(new Stamp(7, 0, 1, T0 + 1900 * MS), T0 + 2 * S); // first instant of the window
    r.arrived(new Stamp(7, 0, 2, T0 + 3 * S), T0 + 4 * S);
    r.arrived(new Stamp(7, 0, 3, T0 + 4990 * MS), T0 + 5 * S); // the window's end is exclusive
    r.acked(1, 0, T0, T0 + S);
    r.acked(1, 1, T0 + 2 * S, T0 + 3 * S);
    assertThat(r.arrivedInWindow()).isEqualTo(2);
    assertThat(r.arrivedCount()).isEqualTo(4);
    assertThat(r.ackedInWindow()).isEqualTo(1);
    assertThat(r.arrivalsPerSecond()).startsWith(0, 1, 1, 0, 1, 1);
  }

  @Test
  void latencyIsFromTheIntendedSendTimeAndOnlyForMessagesIntendedInsideTheWindow() {
    PhaseRecorder r = recorder();
    r.arrived(new Stamp(7, 0, 0, T0 + 1990 * MS), T0 + 2500 * MS); // intended in the warm-up: not recorded
    r.arrived(new Stamp(7, 0, 1, T0 + 3 * S), T0 + 3 * S + 4 * MS);
    r.arrived(new Stamp(7, 1, 0, T0 + 4 * S), T0 + 6 * S);         // intended in, arrived after: recorded
    assertThat(r.latencyMicros().getTotalCount()).isEqualTo(2);
    assertThat(r.latencyMicros().getMinValue()).isBetween(3990L, 4010L);
    assertThat(r.latencyMicros().getMaxValue()).isBetween(1_999_000L, 2_001_000L);
  }

  @Test
  void eachSecondOfThePhaseKeepsTheLongestLatencyOfWhatArrivedInIt() {
    PhaseRecorder r = recorder();
    r.arrived(new Stamp(7, 0, 0, T0 + 2100 * MS), T0 + 2103 * MS);  // second 2: 3 ms
    r.arrived(new Stamp(7, 0, 1, T0 + 2200 * MS), T0 + 2290 * MS);  // second 2: 90 ms, the longest
    r.arrived(new Stamp(7, 1, 0, T0 + 3500 * MS), T0 + 3501 * MS);  // second 3: 1 ms
    long[] max = r.maxLatencyPerSecond();
    assertThat(max[2]).isBetween(89_990L, 90_010L);
    assertThat(max[3]).isBetween(990L, 1_010L);
    assertThat(max[4]).as("nothing arrived").isZero();
  }

  @Test
  void anAcknowledgedMessageThatNeverArrivesIsMissingAndARepeatIsADuplicate() {
    PhaseRecorder r = recorder();
    for (int seq = 0; seq < 3; seq++) {
      r.sent();
      r.acked(0, seq, T0 + 2 * S, T0 + 3 * S);
    }
    r.sent();
    r.arrived(new Stamp(7, 0, 0, T0 + 3 * S), T0 + 3 * S);
    r.arrived(new Stamp(7, 0, 0, T0 + 3 * S), T0 + 3 * S);
    r.arrived(new Stamp(7, 0, 2, T0 + 3 * S), T0 + 3 * S);
    assertThat(r.missing()).as("sequence 1 of device 0").isEqualTo(1);
    assertThat(r.duplicateCount()).isEqualTo(1);
    assertThat(r.arrivedCount()).isEqualTo(2);
    assertThat(r.outstanding()).as("the fourth, neither acknowledged nor failed").isEqualTo(1);
    r.failed(new IllegalStateException("connection closed"));
    assertThat(r.outstanding()).isZero();
    assertThat(r.firstError()).contains("connection closed");
  }

  @Test
  void theTimeToThePubackIsRecordedForMessagesIntendedInsideTheWindow() {
    PhaseRecorder r = recorder();
    r.acked(0, 0, T0 + S, T0 + 2 * S);               // intended in the warm-up
    r.acked(0, 1, T0 + 3 * S, T0 + 3 * S + 7 * MS);
    assertThat(r.ackLatencyMicros().getTotalCount()).isEqualTo(1);
    assertThat(r.ackLatencyMicros().getMaxValue()).isBetween(6990L, 7010L);
  }

  @Test
  void aStampNamingNoDeviceOfThePhaseIsNotCountedAsAnArrival() {
    PhaseRecorder r = recorder();
    assertThat(r.arrived(new Stamp(7, 5, 0, T0 + 3 * S), T0 + 3 * S)).isFalse();
    assertThat(r.arrived(new Stamp(7, -1, 0, T0 + 3 * S), T0 + 3 * S)).isFalse();
    assertThat(r.arrived(new Stamp(7, 0, -4, T0 + 3 * S), T0 + 3 * S)).isFalse();
    assertThat(r.arrivedCount()).isZero();
    assertThat(r.duplicateCount()).isZero();
  }

  @Test
  void aMessageCompletesOnceWhenItIsBothAcknowledgedAndArrivedInEitherOrder() {
    PhaseRecorder r = recorder();
    List<Integer> completed = new ArrayList<>();
    r.onCompletion(completed::add);
    r.acked(0, 0, T0 + 2 * S, T0 + 3 * S);
    assertThat(completed).as("acknowledged, not arrived").isEmpty();
    r.arrived(new Stamp(7, 0, 0, T0 + 3 * S), T0 + 3 * S);
    assertThat(completed).containsExactly(0);
    r.arrived(new Stamp(7, 1, 0, T0 + 3 * S), T0 + 3 * S); // a bridge forwards before its PUBACK reaches the device
    assertThat(completed).containsExactly(0);
    r.acked(1, 0, T0 + 2 * S, T0 + 3 * S);
    assertThat(completed).containsExactly(0, 1);
    r.arrived(new Stamp(7, 1, 0, T0 + 3 * S), T0 + 3 * S); // a duplicate completes nothing
    assertThat(completed).containsExactly(0, 1);
  }
}

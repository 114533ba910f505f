package dev.clearway.benchmarks;

import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * What one load phase against one system measured (see {@link PhaseRecorder} for what counts).
 *
 * @param system "Clearway" or "Mosquitto bridge"
 * @param targetRate the fixed total rate offered, messages/s; 0 in the closed loop
 * @param ackedPerSecond PUBACKs from the system under test within the measured window, per second
 * @param arrivedPerSecond arrivals at the upstream within the measured window, per second: the throughput
 * @param latencyMicros end-to-end latency of the messages intended within the window
 * @param ackLatencyMicros their time from the intended send to the PUBACK
 * @param arrivalsPerSecond arrivals at the upstream in each second from the phase's start (warm-up and drain included)
 * @param lost acknowledged to the device and never arrived upstream (after the drain)
 * @param keptUp false when a fixed-rate phase stopped early because too many messages awaited their PUBACK
 * @param processes CPU and memory of the processes over the measured window
 * @param firstError the first failed publish, or null
 */
record PhaseResult(String system, Mode mode, double targetRate, int warmupSeconds, int measureSeconds,
                   long sent, long acked, long failed, long lost, long duplicates,
                   double ackedPerSecond, double arrivedPerSecond, Histogram latencyMicros, Histogram ackLatencyMicros,
                   long[] arrivalsPerSecond,
                   boolean keptUp, double drainSeconds, List<ProcessMeter.Use> processes, String firstError) {

  /** How the load was offered. */
  enum Mode {
    CLOSED_LOOP("closed loop"), FIXED_RATE("fixed rate");

    final String label;

    Mode(String label) {
      this.label = label;
    }
  }

  /** A latency percentile in milliseconds. */
  double latencyMillis(double percentile) {
    return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
  }

  /** A percentile of the send-to-PUBACK time in milliseconds. */
  double ackLatencyMillis(double percentile) {
    return ackLatencyMicros.getValueAtPercentile(percentile) / 1000.0;
  }

  double maxLatencyMillis() {
    return latencyMicros.getMaxValue() / 1000.0;
  }
}

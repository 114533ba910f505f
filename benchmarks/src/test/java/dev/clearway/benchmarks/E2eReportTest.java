package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The end-to-end section: targets, ratios and every phase's figures from the results. */
class E2eReportTest {

  static PhaseResult result(String system, PhaseResult.Mode mode, double arrivedPerSecond, long latencyMicros, long lost) {
    Histogram h = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
    for (int i = 0; i < 1000; i++) {
      h.recordValue(i < 990 ? latencyMicros / 2 : latencyMicros); // p99 is latencyMicros / 2, p99.9 latencyMicros
    }
    return new PhaseResult(system, mode, mode == PhaseResult.Mode.FIXED_RATE ? 4000 : 0, 10, 30, 300_000, 300_000, 0, lost, 0,
        arrivedPerSecond, arrivedPerSecond, h, h, new long[] {1, 2, 3}, true, 0.4,
        List.of(new ProcessMeter.Use("gateway JVM", 151.5, 600_000, 650_000)), null);
  }

  private static E2eReport.Run run(List<PhaseResult> results) {
    return new E2eReport.Run("2026-11-27 10:00 UTC", "2 cores", "OpenJDK 17", "0.50 0.40 0.30 1/100 1", "java … EndToEnd",
        E2eOptions.parse(new String[0]), 4000, "half of Clearway's closed-loop throughput, 8,000", "mosquitto 2.0.11",
        results, List.of("![Throughput over time](results/e2e-throughput.png)"), "");
  }

  @Test
  void theTargetsShowTheRatiosAndWhetherTheyAreMet() {
    String md = E2eReport.render(run(List.of(
        result(E2eReport.CLEARWAY, PhaseResult.Mode.CLOSED_LOOP, 8000, 40_000, 0),
        result(E2eReport.CLEARWAY, PhaseResult.Mode.FIXED_RATE, 4000, 8_000, 0),
        result(E2eReport.MOSQUITTO, PhaseResult.Mode.CLOSED_LOOP, 10_000, 20_000, 0),
        result(E2eReport.MOSQUITTO, PhaseResult.Mode.FIXED_RATE, 4000, 2_000, 0))));
    assertThat(md).contains("| max throughput ≥ 1.2× the bridge (closed loop, msg/s arrived upstream) | 8,000 | 10,000 | 0.80× | **no** |");
    // p99 = half the recorded maximum: 4 ms for Clearway, 1 ms for the bridge.
    assertThat(md).contains("| p99 ≤ 5 ms at half of Clearway's max (fixed rate) | 4.00 | 1.00 | 4.00× | yes |");
    assertThat(md).contains("| no acknowledged message lost | 0 lost | 0 lost | | yes |");
    assertThat(md).contains("![Throughput over time](results/e2e-throughput.png)");
    // 151.5 % of a core over 8,000 msg/s: 189 µs of CPU per message.
    assertThat(md).contains("| Clearway | closed loop | gateway JVM | 152 | 189 | 586 | 635 |");
  }

  @Test
  void aLossAndAMissingSystemAreShownNotHidden() {
    String md = E2eReport.render(run(List.of(
        result(E2eReport.CLEARWAY, PhaseResult.Mode.CLOSED_LOOP, 8000, 40_000, 3),
        result(E2eReport.CLEARWAY, PhaseResult.Mode.FIXED_RATE, 4000, 12_000, 0))));
    assertThat(md).contains("| no acknowledged message lost | 3 lost | – | | **no** |");
    assertThat(md).contains("| max throughput ≥ 1.2× the bridge (closed loop, msg/s arrived upstream) | 8,000 | – | – | – |");
    assertThat(md).contains("| p99 ≤ 5 ms at half of Clearway's max (fixed rate) | 6.00 | – | – | **no** |");
    assertThat(md).contains("| **3** |");
  }

  @Test
  void millisecondsKeepTwoToThreeSignificantDigits() {
    assertThat(E2eReport.ms(0.4567)).isEqualTo("0.46");
    assertThat(E2eReport.ms(12.345)).isEqualTo("12.3");
    assertThat(E2eReport.ms(1234.5)).isEqualTo("1,235");
  }
}

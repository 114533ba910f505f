package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** JMH's JSON results (captured from JMH 1.37, trimmed) as RESULTS.md's table. */
class JmhReportTest {

  private static String json() throws Exception {
    try (InputStream in = JmhReportTest.class.getResourceAsStream("/jmh-results.json")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void oneRowPerBenchmarkAndParameterSetWithScoreErrorAndUnit() throws Exception {
    String md = JmhReport.render(json(), "2026-11-27 10:00 UTC", "2 cores", "java -jar benchmarks.jar …");
    assertThat(md).contains("| `StoreBenchmark.append` | sync=false | thrpt | 137,825 | 1,367,972 | ops/s |  |");
    assertThat(md).contains("| `StoreBenchmark.append` | sync=true | thrpt | 44,696 | 52,333 | ops/s |  |");
    assertThat(md).contains("| `RouteEvaluationBenchmark.notIsDefinedModuleId` |  | avgt | 7.09 | 0.254 | ns/op | ≤ 50 ns |");
  }

  @Test
  void theSettingsTheRunUsedAreStatedOnce() throws Exception {
    String md = JmhReport.render(json(), "2026-11-27 10:00 UTC", "2 cores", "java -jar benchmarks.jar …");
    assertThat(md).contains("| settings | 1 fork(s), 2 warm-up iterations of 1 s, 3 measured iterations of 1 s, 1 thread(s) |");
    assertThat(md).contains("| command | `java -jar benchmarks.jar …` |");
  }
}

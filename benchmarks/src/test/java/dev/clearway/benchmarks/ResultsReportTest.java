package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What run.sh's last step makes of a run's work directory. */
class ResultsReportTest {

  @Test
  void eachPhaseRunGetsASectionAndAFailedOrEmptyPhaseSaysSo(@TempDir Path work) throws Exception {
    try (InputStream in = ResultsReportTest.class.getResourceAsStream("/jmh-results.json")) {
      Files.write(work.resolve("jmh.json"), in.readAllBytes());
    }
    Files.writeString(work.resolve("jmh.command"), "java -jar benchmarks/target/benchmarks.jar Store -f 1\n");
    Files.writeString(work.resolve("jmh.exit"), "0\n");
    Files.writeString(work.resolve("e2e.md"), "### End to end (today)\n\n| target | … |\n");
    Files.writeString(work.resolve("e2e.exit"), "1\n");
    Files.writeString(work.resolve("idle.exit"), "3\n");

    Map<String, String> sections = ResultsReport.sections(work, List.of("jmh", "e2e", "idle"), "benchmarks/run.sh", 754, "0.1 0.2 0.3");

    assertThat(sections.keySet()).containsExactly("run", "jmh", "e2e", "idle");
    assertThat(sections.get("run")).contains("| command | `benchmarks/run.sh` |", "| wall time | 12 min 34 s |",
        "| phases | jmh, e2e, idle |", "| load average at start | 0.1 0.2 0.3 |");
    assertThat(sections.get("jmh")).contains("`StoreBenchmark.append`", "java -jar benchmarks/target/benchmarks.jar Store -f 1");
    assertThat(sections.get("e2e")).startsWith("### End to end (today)\n\n> **This phase exited with code 1**");
    assertThat(sections.get("idle")).contains("**This phase exited with code 3**");
  }

  @Test
  void phasesNotRunAreNamedAsComingFromAnEarlierRun(@TempDir Path work) throws Exception {
    Map<String, String> sections = ResultsReport.sections(work, List.of("e2e"), "benchmarks/run.sh --only e2e", 60, "1.0");
    assertThat(sections.keySet()).containsExactly("run", "e2e");
    assertThat(sections.get("run")).contains("(the jmh, idle section(s) below are from an earlier run)");
    assertThat(sections.get("e2e")).contains("This phase left no results.");
  }
}

package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Thread pools read as one line in the JFR summary. */
class JfrSummaryTest {

  @Test
  void trailingNumbersOfThreadNamesAreFoldedAndUnnamedThreadsUseTheirOsName() {
    assertThat(JfrSummary.threadGroupName("clearway-pekko.actor.default-dispatcher-17", null))
        .isEqualTo("clearway-pekko.actor.default-dispatcher-#");
    assertThat(JfrSummary.threadGroupName(null, "C2 CompilerThread0")).isEqualTo("C2 CompilerThread#");
  }
}

package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** RESULTS.md: the generated block is replaced section by section; the hand-written text stays. */
class ResultsFileTest {
  private static final String HAND_WRITTEN = """
      # Benchmark results

      ## Idle connections: findings (2026-11-26)

      Written by hand: Pekko's TLS stage holds four buffers.
      """;
  private static final String APPENDED = """
      ## 2026-11-26 11:08 UTC — 5000 idle MQTT/TLS connections (TLSv1.3)

      | heap per connection | 125 KB |
      """;

  @Test
  void theBlockGoesAfterTheHandWrittenSectionsAndBeforeTheDatedOnes() {
    String updated = ResultsFile.update(HAND_WRITTEN + "\n" + APPENDED, Map.of("e2e", "### End to end\n\nfigures\n"));
    assertThat(updated).startsWith(HAND_WRITTEN);
    assertThat(updated).containsSubsequence("Written by hand", ResultsFile.BEGIN, "### End to end", ResultsFile.END,
        "## 2026-11-26 11:08 UTC");
    assertThat(updated).endsWith(APPENDED);
  }

  @Test
  void aSecondRunReplacesItsSectionsAndKeepsTheOthersInTheirOrder() {
    String first = ResultsFile.update(HAND_WRITTEN, Map.of("jmh", "### JMH\nold jmh\n", "e2e", "### E2E\nold e2e\n"));
    String second = ResultsFile.update(first, Map.of("e2e", "### E2E\nnew e2e\n", "run", "| date | today |\n"));
    assertThat(second).contains("old jmh", "new e2e", "| date | today |").doesNotContain("old e2e");
    assertThat(second).containsSubsequence("| date | today |", "old jmh", "new e2e");
    assertThat(second).startsWith(HAND_WRITTEN);
    assertThat(second.split(ResultsFile.BEGIN, -1)).as("one block").hasSize(2);
  }

  @Test
  void updatingWithTheSameSectionsChangesNothing() {
    Map<String, String> sections = Map.of("idle", "### Idle\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
    String once = ResultsFile.update(HAND_WRITTEN + "\n" + APPENDED, sections);
    assertThat(ResultsFile.update(once, sections)).isEqualTo(once);
  }

  @Test
  void aTableAtTheEndOfASectionIsFollowedByABlankLine() {
    String updated = ResultsFile.update(HAND_WRITTEN, Map.of("idle", "| a | b |\n|---|---|\n| 1 | 2 |"));
    assertThat(updated).contains("| 1 | 2 |\n\n<!-- /section:idle -->");
  }

  @Test
  void damagedMarkersAndUnknownSectionsAreRefused() {
    assertThatThrownBy(() -> ResultsFile.update(HAND_WRITTEN + ResultsFile.BEGIN + "\n", Map.of("jmh", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without the other");
    assertThatThrownBy(() -> ResultsFile.update(HAND_WRITTEN, Map.of("soak", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown section 'soak'");
  }
}

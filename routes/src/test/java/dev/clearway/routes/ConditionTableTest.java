package dev.clearway.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The table of conditions.txt: message, condition, expected value or compile error. */
class ConditionTableTest {

  static List<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                Objects.requireNonNull(ConditionTableTest.class.getResourceAsStream("/conditions.txt")),
                StandardCharsets.UTF_8))) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] parts = line.split(";;", -1);
        if (parts.length != 3) {
          throw new IllegalStateException("conditions.txt:" + n + " needs 3 parts: " + line);
        }
        out.add(Arguments.of(n, parts[0].trim(), parts[1].trim(), parts[2].trim()));
      }
    }
    return out;
  }

  @ParameterizedTest(name = "line {0}: [{1}] {2} -> {3}")
  @MethodSource("cases")
  void conditionEvaluatesAsTheTableSays(int line, String message, String condition, String expected) {
    Message m = TestMessages.parse(message);
    if (expected.startsWith("error:")) {
      String fragment = expected.substring("error:".length()).trim();
      assertThatThrownBy(() -> Condition.compile(condition))
          .isInstanceOf(RouteCompileException.class)
          .hasMessageContaining(fragment);
    } else {
      Truth want = Truth.valueOf(expected.toUpperCase(Locale.ROOT));
      assertThat(Condition.compile(condition).evaluate(m)).isEqualTo(want);
    }
  }

  @Test
  void tableHasAtLeast150Cases() throws IOException {
    assertThat(cases()).hasSizeGreaterThanOrEqualTo(150);
  }
}

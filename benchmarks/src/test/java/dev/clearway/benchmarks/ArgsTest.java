package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The harnesses' command-line parser: known names only, values checked, each option once. */
class ArgsTest {
  private static final List<String> OPTIONS = List.of("--devices", "--rate");
  private static final List<String> FLAGS = List.of("--jfr");

  @Test
  void readsValuesAndFlagsInAnyOrderWithDefaultsForTheRest() {
    Args a = Args.parse(new String[] {"--jfr", "--devices", "25"}, OPTIONS, FLAGS);
    assertThat(a.integer("--devices", 100, 1, 1000)).isEqualTo(25);
    assertThat(a.flag("--jfr")).isTrue();
    assertThat(a.optionalInteger("--rate", 1, 10)).isEmpty();
    assertThat(a.string("--rate", "none")).isEqualTo("none");
  }

  @Test
  void refusesUnknownNamesMissingValuesAndRepeats() {
    assertThatThrownBy(() -> Args.parse(new String[] {"--devises", "2"}, OPTIONS, FLAGS))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'--devises'").hasMessageContaining("--devices");
    assertThatThrownBy(() -> Args.parse(new String[] {"--devices"}, OPTIONS, FLAGS))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--devices needs a value");
    assertThatThrownBy(() -> Args.parse(new String[] {"--jfr", "--jfr"}, OPTIONS, FLAGS))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--jfr given twice");
  }

  @Test
  void aNumberOutOfItsRangeOrNotANumberIsNamedInTheError() {
    Args a = Args.parse(new String[] {"--devices", "0", "--rate", "fast"}, OPTIONS, FLAGS);
    assertThatThrownBy(() -> a.integer("--devices", 100, 1, 1000))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--devices must be between 1 and 1000, was 0");
    assertThatThrownBy(() -> a.optionalInteger("--rate", 1, 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("--rate must be a whole number, was 'fast'");
  }
}

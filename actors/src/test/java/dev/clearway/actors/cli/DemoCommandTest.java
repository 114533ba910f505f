package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Options {@code clearway demo} cannot use: exit code 2, one line on stderr naming the option and why, nothing started. */
class DemoCommandTest {

  @ParameterizedTest(name = "demo {0} {1}")
  @CsvSource(delimiter = '|', value = {
      "--devices  | 0     | --devices must be between 1 and 1000, was 0",
      "--devices  | 1001  | --devices must be between 1 and 1000, was 1001",
      "--devices  | many  | Invalid value for option '--devices': 'many' is not an int",
      "--rate     | 0     | --rate must be between 1 and 50000 messages a second, was 0",
      "--rate     | fast  | Invalid value for option '--rate': 'fast' is not an int",
      "--duration | 30    | Invalid value for option '--duration': '30' has no unit; write it like 30s, 2m or 1h",
      "--duration | soon  | Invalid value for option '--duration': 'soon' is not a duration such as 30s, 2m or 1h",
      "--duration | 500ms | --duration must be between 1s and 24h, was 0.5s",
      "--duration | 2d    | --duration must be between 1s and 24h, was 48h",
      "--colour   | red   | Unknown options: '--colour', 'red'"})
  void aBadOptionIsOneLineAndExitCode2(String option, String value, String expected) {
    CommandRun r = CommandRun.of("demo", option, value);

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err().lines()).containsExactly("clearway demo: " + expected + " (clearway demo --help lists the options)");
    assertThat(r.out()).isEmpty();
  }
}

package dev.clearway.actors.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The strict reader the metrics tests check every scrape with: it must accept 0.0.4 and reject the rest. */
class PrometheusTextTest {

  @Test
  void aWellFormedExpositionIsRead() {
    List<PrometheusText.Sample> s = PrometheusText.parse("""
        # HELP edgehub_queue_length Current length of the queue \\\\ per endpoint
        # TYPE edgehub_queue_length gauge
        edgehub_queue_length{endpoint="$upstream",priority="10"} 3.0
        edgehub_queue_length{endpoint="say \\"hi\\"\\n",priority="0",} 1 1700000000000
        # a comment
        # TYPE edgehub_offline_duration_seconds summary
        edgehub_offline_duration_seconds{quantile="0.99"} NaN
        edgehub_offline_duration_seconds_count 2
        edgehub_offline_duration_seconds_sum +Inf
        """);

    assertThat(s).hasSize(5);
    assertThat(s.get(1).labels()).containsExactly(Map.entry("endpoint", "say \"hi\"\n"), Map.entry("priority", "0"));
    assertThat(PrometheusText.sum(s, "edgehub_queue_length", Map.of())).isEqualTo(4);
    assertThat(s.get(4).value()).isInfinite();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      a sample without a TYPE        | up 1\\n                                                             | outside the family
      a sample of another family     | # TYPE a gauge\\nb 1\\n                                            | outside the family
      a suffix its type does not have| # TYPE a gauge\\na_count 1\\n                                      | outside the family
      a family announced twice       | # TYPE a gauge\\na 1\\n# TYPE a gauge\\n                             | a second TYPE line
      a family split in two          | # TYPE a gauge\\na 1\\n# TYPE b gauge\\nb 1\\n# TYPE c gauge\\na 2\\n | outside the family
      a value that is not a number   | # TYPE a gauge\\na one\\n                                         | not a value
      an unquoted label value        | # TYPE a gauge\\na{x=1} 1\\n                                       | a malformed label
      a bad escape in a label        | # TYPE a gauge\\na{x="\\t"} 1\\n                                    | a malformed label
      a label twice                  | # TYPE a gauge\\na{x="1",x="2"} 1\\n                               | label x twice
      an unknown type                | # TYPE a meter\\na 1\\n                                           | a malformed TYPE line
      a bad metric name              | # TYPE a gauge\\n1a 1\\n                                          | neither a comment nor a sample
      no final line feed             | # TYPE a gauge\\na 1                                              | does not end with a line feed
      """)
  void anythingElseIsRejected(String what, String text, String why) {
    String exposition = text.strip().replace("\\n", "\n");
    assertThatThrownBy(() -> PrometheusText.parse(exposition)).as(what).isInstanceOf(AssertionError.class).hasMessageContaining(why);
  }
}

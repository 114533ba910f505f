package dev.clearway.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * JMH's JSON results ({@code -rf json}) as a Markdown table: one row per benchmark and parameter
 * set, with the score, its 99.9 % error and the unit, and the settings the run used.
 */
final class JmhReport {
  /** Targets of the routes issue, shown beside their benchmarks (reported, never asserted). */
  private static final Map<String, String> TARGETS = Map.of(
      "RouteEvaluationBenchmark.notIsDefinedModuleId", "≤ 50 ns",
      "RouteEvaluationBenchmark.bodyQueryOn1KbJson", "≤ 500 ns");

  private JmhReport() {}

  /** One result row. */
  record Row(String benchmark, String params, String mode, double score, double error, String unit) {}

  static List<Row> rows(String json) throws IOException {
    List<Row> rows = new ArrayList<>();
    for (JsonNode n : new ObjectMapper().readTree(json)) {
      String name = n.path("benchmark").asText();
      String shortName = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
      List<String> params = new ArrayList<>();
      Iterator<Map.Entry<String, JsonNode>> it = n.path("params").fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> p = it.next();
        params.add(p.getKey() + "=" + p.getValue().asText());
      }
      JsonNode metric = n.path("primaryMetric");
      rows.add(new Row(shortName, String.join(", ", params), n.path("mode").asText(), metric.path("score").asDouble(),
          metric.path("scoreError").asDouble(Double.NaN), metric.path("scoreUnit").asText()));
    }
    return rows;
  }

  /** The section: heading, settings, command, table. */
  static String render(String json, String date, String machine, String command) throws IOException {
    JsonNode all = new ObjectMapper().readTree(json);
    Set<String> settings = new LinkedHashSet<>();
    for (JsonNode n : all) {
      settings.add(String.format(Locale.ROOT, "%d fork(s), %d warm-up iterations of %s, %d measured iterations of %s, %d thread(s)",
          n.path("forks").asInt(), n.path("warmupIterations").asInt(), n.path("warmupTime").asText(),
          n.path("measurementIterations").asInt(), n.path("measurementTime").asText(), n.path("threads").asInt()));
    }
    StringBuilder b = new StringBuilder();
    b.append("### JMH microbenchmarks (").append(date).append(")\n\n");
    b.append("| | |\n|---|---|\n");
    b.append("| machine | ").append(machine).append(" |\n");
    b.append("| command | `").append(Markdown.cell(command)).append("` |\n");
    b.append("| settings | ").append(String.join("; ", settings)).append(" |\n\n");
    b.append("| benchmark | parameters | mode | score | ± (99.9 %) | unit | target |\n|---|---|---|---:|---:|---|---|\n");
    for (Row r : rows(json)) {
      b.append(String.format(Locale.ROOT, "| `%s` | %s | %s | %s | %s | %s | %s |%n", r.benchmark(), r.params(), r.mode(),
          number(r.score()), Double.isNaN(r.error()) ? "–" : number(r.error()), r.unit(),
          TARGETS.getOrDefault(r.benchmark(), "")));
    }
    return b.toString();
  }

  /** Three significant digits at least, thousands separated: 12.3, 1,234, 0.0123. */
  static String number(double x) {
    double a = Math.abs(x);
    if (a >= 100) {
      return String.format(Locale.ROOT, "%,.0f", x);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", x);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", x);
    }
    return String.format(Locale.ROOT, "%.3g", x);
  }
}

package dev.clearway.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The last step of {@code benchmarks/run.sh}: puts what the phases left in the run's work directory
 * into the generated block of RESULTS.md ({@link ResultsFile}).
 *
 * <p>Reads, for each phase run: {@code jmh.json} and {@code jmh.command} (JMH's results and the
 * command that made them), {@code e2e.md}, {@code idle.md} (the harnesses' own sections), and
 * {@code <phase>.exit} (the phase's exit code, written by the script). A phase that failed or left
 * nothing still gets a section that says so, so RESULTS.md never shows old figures as new ones.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.clearway.benchmarks.ResultsReport --work-dir DIR \
 *     --phases jmh,e2e,idle --command "benchmarks/run.sh ..." [--results benchmarks/RESULTS.md] [--seconds N] \
 *     [--load-average "…"]
 * </pre>
 */
public final class ResultsReport {
  private ResultsReport() {}

  public static void main(String[] args) throws IOException {
    Args a;
    try {
      a = Args.parse(args, List.of("--work-dir", "--phases", "--command", "--results", "--seconds", "--load-average"), List.of());
    } catch (IllegalArgumentException e) {
      System.err.println("ResultsReport: " + e.getMessage());
      System.exit(2);
      return;
    }
    Path work = a.path("--work-dir", "benchmarks/target/run");
    List<String> phases = List.of(a.string("--phases", "jmh,e2e,idle").split(","));
    Path results = a.path("--results", "benchmarks/RESULTS.md");
    Map<String, String> sections = sections(work, phases, a.string("--command", "benchmarks/run.sh"),
        a.integer("--seconds", 0, 0, Integer.MAX_VALUE), a.string("--load-average", Machine.loadAverage()));
    String before = Files.exists(results) ? Files.readString(results) : "# Benchmark results\n";
    Files.writeString(results, ResultsFile.update(before, sections));
    System.out.println("updated " + results + ": sections " + String.join(", ", sections.keySet()));
  }

  static Map<String, String> sections(Path work, List<String> phases, String command, int seconds, String loadAverage)
      throws IOException {
    Map<String, String> sections = new LinkedHashMap<>();
    StringBuilder run = new StringBuilder();
    run.append("| | |\n|---|---|\n");
    run.append("| date | ").append(Machine.now()).append(" |\n");
    run.append("| machine | ").append(Machine.describe()).append(" |\n");
    run.append("| load average at start | ").append(loadAverage).append(" |\n");
    run.append("| JDK | ").append(Machine.jdk()).append(" |\n");
    run.append("| command | `").append(Markdown.cell(command)).append("` |\n");
    run.append("| phases | ").append(String.join(", ", phases));
    List<String> kept = ResultsFile.SECTIONS.stream().filter(s -> !s.equals("run") && !phases.contains(s)).toList();
    if (!kept.isEmpty()) {
      run.append(" (the ").append(String.join(", ", kept)).append(" section(s) below are from an earlier run)");
    }
    run.append(" |\n");
    run.append(String.format(Locale.ROOT, "| wall time | %d min %02d s |%n", seconds / 60, seconds % 60));
    sections.put("run", run.toString());
    for (String phase : phases) {
      Optional<Integer> exit = exitCode(work, phase);
      String status = exit.isPresent() && exit.get() != 0
          ? "> **This phase exited with code " + exit.get() + "**: its figures may be incomplete or show a failure "
          + "(see `" + work.resolve(phase + ".log") + "`).\n\n" : "";
      String body = switch (phase) {
        case "jmh" -> jmh(work);
        case "e2e", "idle" -> fragment(work.resolve(phase + ".md"));
        default -> throw new IllegalArgumentException("unknown phase '" + phase + "'");
      };
      sections.put(phase, body.isEmpty()
          ? "### " + phase + " (" + Machine.now() + ")\n\n" + (status.isEmpty() ? "> **This phase left no results.**\n" : status)
          : insertAfterHeading(body, status));
    }
    return sections;
  }

  private static String jmh(Path work) throws IOException {
    Path json = work.resolve("jmh.json");
    if (!Files.exists(json) || Files.size(json) == 0) {
      return "";
    }
    Path commandFile = work.resolve("jmh.command");
    String command = Files.exists(commandFile) ? Files.readString(commandFile).strip() : "java -jar benchmarks/target/benchmarks.jar";
    return JmhReport.render(Files.readString(json), Machine.now(), Machine.describe(), command);
  }

  private static String fragment(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "";
  }

  private static Optional<Integer> exitCode(Path work, String phase) throws IOException {
    Path file = work.resolve(phase + ".exit");
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(Integer.parseInt(Files.readString(file).strip()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** The status note goes right under the section's heading line. */
  static String insertAfterHeading(String section, String note) {
    if (note.isEmpty()) {
      return section;
    }
    int lineEnd = section.indexOf('\n');
    if (!section.startsWith("#") || lineEnd < 0) {
      return note + section;
    }
    return section.substring(0, lineEnd + 1) + "\n" + note + section.substring(lineEnd + 1).stripLeading();
  }
}

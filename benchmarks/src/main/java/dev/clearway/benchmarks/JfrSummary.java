package dev.clearway.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the gateway spent its CPU during a recording, as Markdown: CPU by thread
 * ({@code jdk.ThreadCPULoad}, which also sees JIT compiler, GC and native threads), JIT compilation
 * time, GC pauses, and Java execution samples ({@code jdk.ExecutionSample}, what
 * {@code jfr print --events jdk.ExecutionSample} lists) by top frame (self time), by its package, and
 * by the innermost Clearway frame on the stack.
 */
final class JfrSummary {
  private JfrSummary() {}

  static String summarize(Path recording, String title, int top) throws IOException {
    Map<String, Long> byMethod = new HashMap<>();
    Map<String, Long> byPackage = new HashMap<>();
    Map<String, Long> byOwnFrame = new HashMap<>();
    long samples = 0;
    long pauses = 0;
    Duration paused = Duration.ZERO;
    Duration longestPause = Duration.ZERO;
    Duration compiling = Duration.ZERO;
    // jdk.ThreadCPULoad: one event per thread per period; a pool's load is the sum over its threads.
    Map<String, Double> threadLoad = new HashMap<>();
    Map<Long, Integer> readingsPerThread = new HashMap<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
      String type = e.getEventType().getName();
      if (type.equals("jdk.ThreadCPULoad") && e.getThread("eventThread") != null) {
        RecordedThread t = e.getThread("eventThread");
        threadLoad.merge(threadGroupName(t.getJavaName(), t.getOSName()), (double) e.getFloat("user") + e.getFloat("system"),
            Double::sum);
        readingsPerThread.merge(t.getId(), 1, Integer::sum);
      } else if (type.equals("jdk.Compilation")) {
        compiling = compiling.plus(e.getDuration());
      } else if (type.equals("jdk.ExecutionSample") && e.getStackTrace() != null && !e.getStackTrace().getFrames().isEmpty()) {
        samples++;
        List<RecordedFrame> frames = e.getStackTrace().getFrames();
        RecordedMethod topMethod = frames.get(0).getMethod();
        byMethod.merge(name(topMethod), 1L, Long::sum);
        byPackage.merge(packageOf(topMethod), 1L, Long::sum);
        frames.stream().map(RecordedFrame::getMethod).filter(m -> m.getType().getName().startsWith("dev.clearway."))
            .findFirst().ifPresent(m -> byOwnFrame.merge(name(m), 1L, Long::sum));
      } else if (type.equals("jdk.GCPhasePause")) {
        pauses++;
        paused = paused.plus(e.getDuration());
        if (e.getDuration().compareTo(longestPause) > 0) {
          longestPause = e.getDuration();
        }
      }
    }
    StringBuilder b = new StringBuilder();
    b.append("#### ").append(title).append("\n\n");
    b.append(String.format(Locale.ROOT, "%,d Java execution samples; JIT compilation %,d ms; %,d GC pauses, %,d ms in all, "
        + "the longest %.1f ms.%n%n", samples, compiling.toMillis(), pauses, paused.toMillis(), longestPause.toNanos() / 1e6));
    b.append("| threads (by name, pool numbers folded) | CPU, % of the machine |\n|---|---:|\n");
    int periods = readingsPerThread.values().stream().mapToInt(Integer::intValue).max().orElse(1);
    threadLoad.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(top)
        .forEach(e -> b.append(String.format(Locale.ROOT, "| `%s` | %.1f |%n", e.getKey(), 100.0 * e.getValue() / periods)));
    b.append('\n');
    table(b, "top frame (self)", byMethod, samples, top);
    table(b, "package of the top frame", byPackage, samples, top);
    table(b, "innermost Clearway frame on the stack", byOwnFrame, samples, top);
    return b.toString();
  }

  private static void table(StringBuilder b, String heading, Map<String, Long> counts, long samples, int top) {
    b.append("| ").append(heading).append(" | samples | share |\n|---|---:|---:|\n");
    counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
        .forEach(e -> b.append(String.format(Locale.ROOT, "| `%s` | %,d | %.1f %% |%n", e.getKey(), e.getValue(),
            samples == 0 ? 0.0 : 100.0 * e.getValue() / samples)));
    b.append('\n');
  }

  /**
   * A thread's name with its trailing number folded ("clearway-pekko.actor.default-dispatcher-7" →
   * "clearway-pekko.actor.default-dispatcher-#"), so a pool reads as one line; the OS name for
   * threads the JVM does not name.
   */
  static String threadGroupName(String javaName, String osName) {
    String name = javaName != null ? javaName : osName != null ? osName : "?";
    return name.replaceAll("\\d+$", "#");
  }

  private static String name(RecordedMethod m) {
    return m.getType().getName() + "." + m.getName();
  }

  private static String packageOf(RecordedMethod m) {
    String type = m.getType().getName();
    int dot = type.lastIndexOf('.');
    return dot < 0 ? "(default)" : type.substring(0, dot);
  }
}

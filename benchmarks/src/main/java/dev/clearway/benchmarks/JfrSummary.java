package dev.clearway.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
 * by the innermost Clearway frame on the stack; and native-method samples ({@code jdk.NativeMethodSample}:
 * threads inside JNI or system calls, RocksDB among them) by their Java caller.
 */
final class JfrSummary {
  private JfrSummary() {}

  static String summarize(Path recording, String title, int top) throws IOException {
    Map<String, Long> byMethod = new HashMap<>();
    Map<String, Long> byPackage = new HashMap<>();
    Map<String, Long> byOwnFrame = new HashMap<>();
    Map<String, Long> nativeByMethod = new HashMap<>();
    long samples = 0;
    long nativeSamples = 0;
    long pauses = 0;
    Duration paused = Duration.ZERO;
    Duration longestPause = Duration.ZERO;
    Duration compiling = Duration.ZERO;
    // jdk.ThreadCPULoad: one event per thread per period; a pool's load is the sum over its threads.
    Map<String, Double> threadLoad = new HashMap<>();
    Map<Long, Integer> readingsPerThread = new HashMap<>();
    Map<String, Set<Long>> threadsPerGroup = new HashMap<>();
    long threadStarts = 0;
    Map<String, Long> threadStartsBy = new HashMap<>();
    for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
      String type = e.getEventType().getName();
      if (type.equals("jdk.ThreadCPULoad") && e.getThread("eventThread") != null) {
        RecordedThread t = e.getThread("eventThread");
        threadLoad.merge(threadGroupName(t.getJavaName(), t.getOSName()), (double) e.getFloat("user") + e.getFloat("system"),
            Double::sum);
        readingsPerThread.merge(t.getId(), 1, Integer::sum);
        threadsPerGroup.computeIfAbsent(threadGroupName(t.getJavaName(), t.getOSName()), k -> new HashSet<>()).add(t.getId());
      } else if (type.equals("jdk.ThreadStart")) {
        // Who starts threads while the gateway runs (a pool should not): the innermost Clearway
        // frame, else the innermost frame outside the JDK and Scala's library.
        threadStarts++;
        List<RecordedMethod> methods = e.getStackTrace() == null ? List.of()
            : e.getStackTrace().getFrames().stream().map(RecordedFrame::getMethod).toList();
        String by = methods.stream().filter(m -> m.getType().getName().startsWith("dev.clearway.")).findFirst()
            .or(() -> methods.stream().filter(m -> !m.getType().getName().matches("(java|jdk|sun|scala)\\..*")).findFirst())
            .map(JfrSummary::name).orElse("(no stack)");
        threadStartsBy.merge(by, 1L, Long::sum);
      } else if (type.equals("jdk.NativeMethodSample") && e.getStackTrace() != null
          && !e.getStackTrace().getFrames().isEmpty()) {
        // A thread in native code (RocksDB through JNI, socket reads and writes, parking): its Java caller.
        nativeSamples++;
        nativeByMethod.merge(name(e.getStackTrace().getFrames().get(0).getMethod()), 1L, Long::sum);
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
    b.append("CPU by thread (`jdk.ThreadCPULoad`, read every 10 s for the threads alive then; for a name with many "
        + "short-lived threads the figure is the load of those caught alive, an overstatement):\n\n");
    b.append("| threads (by name, pool numbers folded) | threads seen | CPU, % of the machine |\n|---|---:|---:|\n");
    int periods = readingsPerThread.values().stream().mapToInt(Integer::intValue).max().orElse(1);
    threadLoad.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(top)
        .forEach(e -> b.append(String.format(Locale.ROOT, "| `%s` | %,d | %.1f |%n", e.getKey(),
            threadsPerGroup.getOrDefault(e.getKey(), Set.of()).size(), 100.0 * e.getValue() / periods)));
    b.append('\n');
    if (threadStarts > 0) {
      b.append(String.format(Locale.ROOT, "%,d threads started during the recording (`jdk.ThreadStart`):%n%n", threadStarts));
      table(b, "where a thread was started (innermost Clearway frame, else innermost outside the JDK and Scala)",
          threadStartsBy, threadStarts, top);
    }
    table(b, "top frame (self)", byMethod, samples, top);
    table(b, "package of the top frame", byPackage, samples, top);
    table(b, "innermost Clearway frame on the stack", byOwnFrame, samples, top);
    b.append(String.format(Locale.ROOT, "%,d native-method samples (threads inside native code, waiting included):%n%n", nativeSamples));
    table(b, "native method (top frame)", nativeByMethod, nativeSamples, top);
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

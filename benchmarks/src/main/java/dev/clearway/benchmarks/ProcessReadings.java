package dev.clearway.benchmarks;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsers for what Linux and {@code jcmd} say about a process: {@code /proc/<pid>/status},
 * {@code /proc/<pid>/stat}, {@code /proc/meminfo}, {@code GC.heap_info}, {@code GC.class_histogram} and
 * {@code VM.native_memory summary}. Pure functions of the text, so they are unit-tested on captured
 * output instead of on a live process.
 */
public final class ProcessReadings {
  private static final Pattern G1_HEAP_USED =
      Pattern.compile("garbage-first heap\\s+total\\s+\\S+,\\s+used\\s+(\\d+)([KMG])", Pattern.CASE_INSENSITIVE);
  // "   1:        123456       7890123  [B (java.base@17.0.15)"
  private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
  // "-                 Java Heap (reserved=1048576KB, committed=1048576KB)"
  private static final Pattern NMT_CATEGORY =
      Pattern.compile("^-\\s+(.+?)\\s+\\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
  private static final Pattern NMT_TOTAL = Pattern.compile("^(Total): reserved=(\\d+)KB, committed=(\\d+)KB");

  private ProcessReadings() {}

  /** One class's row of a class histogram. */
  public record ClassCount(long instances, long bytes) {}

  /** How one class's footprint changed between two histograms. */
  public record ClassDelta(String className, long instances, long bytes) {}

  /**
   * The value in kB of a {@code Key:   123 kB} line of {@code /proc/<pid>/status} or
   * {@code /proc/meminfo}, e.g. {@code VmRSS} or {@code MemTotal}.
   *
   * @throws IllegalArgumentException when the key is missing (a process that has exited has no VmRSS)
   */
  public static long kilobytes(String procText, String key) {
    return field(procText, key)
        .orElseThrow(() -> new IllegalArgumentException("no '" + key + ":' line in:\n" + procText));
  }

  /** The {@code Threads:} count of {@code /proc/<pid>/status}. */
  public static long threads(String procStatus) {
    return field(procStatus, "Threads")
        .orElseThrow(() -> new IllegalArgumentException("no 'Threads:' line in:\n" + procStatus));
  }

  private static OptionalLong field(String text, String key) {
    Pattern p = Pattern.compile("^" + Pattern.quote(key) + ":\\s+(\\d+)(?:\\s+kB)?\\s*$", Pattern.MULTILINE);
    Matcher m = p.matcher(text);
    return m.find() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  /**
   * The G1 heap's used bytes from {@code jcmd <pid> GC.heap_info}. Only G1 is understood: the
   * harness starts the gateway with {@code -XX:+UseG1GC}, and summing another collector's
   * generations the wrong way would give a plausible but wrong figure.
   */
  public static long g1HeapUsedBytes(String heapInfo) {
    Matcher m = G1_HEAP_USED.matcher(heapInfo);
    if (!m.find()) {
      throw new IllegalArgumentException("no 'garbage-first heap ... used' line (is the JVM on G1?) in:\n" + heapInfo);
    }
    long value = Long.parseLong(m.group(1));
    return switch (m.group(2).toUpperCase()) {
      case "K" -> value * 1024;
      case "M" -> value * 1024 * 1024;
      default -> value * 1024 * 1024 * 1024;
    };
  }

  /** Instances and bytes per class from {@code jcmd <pid> GC.class_histogram}. */
  public static Map<String, ClassCount> classHistogram(String histogram) {
    Map<String, ClassCount> byClass = new LinkedHashMap<>();
    for (String line : histogram.split("\n")) {
      Matcher m = HISTOGRAM_ROW.matcher(line);
      if (m.find()) {
        // The same name can appear twice when two class loaders load it; their footprints add up.
        byClass.merge(m.group(3), new ClassCount(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))),
            (a, b) -> new ClassCount(a.instances() + b.instances(), a.bytes() + b.bytes()));
      }
    }
    if (byClass.isEmpty()) {
      throw new IllegalArgumentException("no histogram rows in:\n" + histogram);
    }
    return byClass;
  }

  /** The {@code limit} classes whose bytes grew most from {@code before} to {@code after}, largest first. */
  public static List<ClassDelta> topGrowth(Map<String, ClassCount> before, Map<String, ClassCount> after, int limit) {
    Set<String> names = new HashSet<>(before.keySet());
    names.addAll(after.keySet());
    List<ClassDelta> deltas = new ArrayList<>();
    ClassCount none = new ClassCount(0, 0);
    for (String name : names) {
      ClassCount a = before.getOrDefault(name, none);
      ClassCount b = after.getOrDefault(name, none);
      deltas.add(new ClassDelta(name, b.instances() - a.instances(), b.bytes() - a.bytes()));
    }
    deltas.sort(Comparator.comparingLong(ClassDelta::bytes).reversed().thenComparing(ClassDelta::className));
    return List.copyOf(deltas.subList(0, Math.min(limit, deltas.size())));
  }

  /**
   * Committed kB per category from {@code jcmd <pid> VM.native_memory summary}, with the grand total
   * under {@code "Total"}.
   */
  public static Map<String, Long> nativeMemoryCommittedKb(String summary) {
    Map<String, Long> byCategory = new LinkedHashMap<>();
    for (String line : summary.split("\n")) {
      for (Pattern p : List.of(NMT_CATEGORY, NMT_TOTAL)) {
        Matcher m = p.matcher(line.strip());
        if (m.find()) {
          byCategory.put(m.group(1), Long.parseLong(m.group(3)));
        }
      }
    }
    if (byCategory.isEmpty()) {
      throw new IllegalArgumentException("no native memory categories (was the JVM started with -XX:NativeMemoryTracking?) in:\n" + summary);
    }
    return byCategory;
  }

  /**
   * User plus system CPU time, in clock ticks ({@code getconf CLK_TCK}, 100 on Linux), from
   * {@code /proc/<pid>/stat}: fields 14 and 15. The command name (field 2) may hold spaces and
   * parentheses, so the fields are counted from its last closing parenthesis.
   */
  public static long cpuTicks(String procStat) {
    int close = procStat.lastIndexOf(')');
    if (close < 0) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + procStat);
    }
    String[] fields = procStat.substring(close + 1).strip().split("\\s+");
    // fields[0] is field 3 (state), so field n is fields[n - 3].
    if (fields.length < 13) {
      throw new IllegalArgumentException("too few fields in /proc/<pid>/stat: " + procStat);
    }
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  /**
   * The machine's busy CPU time, in clock ticks summed over all cores, from the first line of
   * {@code /proc/stat} ({@code cpu  user nice system idle iowait irq softirq steal …}): everything
   * but idle and iowait. Guest time is already counted in user time.
   */
  public static long machineBusyTicks(String procStat) {
    String first = procStat.lines().findFirst().orElse("");
    String[] f = first.strip().split("\\s+");
    if (f.length < 9 || !f[0].equals("cpu")) {
      throw new IllegalArgumentException("not the first line of /proc/stat: " + first);
    }
    long busy = 0;
    for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
      busy += Long.parseLong(f[i]);
    }
    return busy;
  }

  /**
   * The CPU used between two readings of a process, in percent of one core (200 = two cores busy),
   * from the cumulative ticks ({@link #cpuTicks}) and {@link System#nanoTime()} of each reading.
   */
  public static double cpuPercent(long ticksBefore, long ticksAfter, long nanosBefore, long nanosAfter, long ticksPerSecond) {
    if (nanosAfter <= nanosBefore) {
      throw new IllegalArgumentException("the second reading must come after the first");
    }
    return 100.0 * (ticksAfter - ticksBefore) / ticksPerSecond / ((nanosAfter - nanosBefore) / 1e9);
  }

  /** {@code (after - before) / count}: a per-connection cost; negative when memory shrank. */
  public static double perUnit(long before, long after, int count) {
    if (count <= 0) {
      throw new IllegalArgumentException("count must be positive, was " + count);
    }
    return (double) (after - before) / count;
  }
}

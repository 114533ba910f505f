package dev.clearway.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.stream.Stream;

/** What a report says about where and when it was measured. */
final class Machine {
  static final DateTimeFormatter HEADING =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private Machine() {}

  /** "2 cores, 23 GB RAM, Intel(R) Xeon(R) …". */
  static String describe() {
    try {
      String meminfo = Files.readString(Path.of("/proc/meminfo"));
      return Runtime.getRuntime().availableProcessors() + " cores, "
          + ProcessReadings.kilobytes(meminfo, "MemTotal") / 1024 / 1024 + " GB RAM, " + cpuModel();
    } catch (IOException e) {
      return Runtime.getRuntime().availableProcessors() + " cores";
    }
  }

  /** The JVM running this harness (the gateway is started with the same java). */
  static String jdk() {
    return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
  }

  /** {@code /proc/loadavg}: how busy the machine was, since other work skews the figures. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "?";
    }
  }

  static String now() {
    return HEADING.format(Instant.now());
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }
}

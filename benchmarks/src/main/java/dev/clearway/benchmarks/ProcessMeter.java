package dev.clearway.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Reads a live process's CPU time and memory from {@code /proc}, for the CPU and RSS of the
 * processes of an end-to-end run (the system under test, the upstream broker, the load generator).
 */
final class ProcessMeter {
  private static final long TICKS_PER_SECOND = clockTicks();

  private ProcessMeter() {}

  /** One reading: when, cumulative CPU ticks, resident set and its peak so far (kB). */
  record Reading(long nanos, long cpuTicks, long rssKb, long peakRssKb) {}

  /** What a process used between two readings. */
  record Use(String process, double cpuPercent, long rssKb, long peakRssKb) {}

  static Reading read(long pid) {
    try {
      long nanos = System.nanoTime();
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
      return new Reading(nanos, ProcessReadings.cpuTicks(stat), ProcessReadings.kilobytes(status, "VmRSS"),
          ProcessReadings.kilobytes(status, "VmHWM"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/" + pid + " (has the process exited?): " + e.getMessage(), e);
    }
  }

  /** The whole machine's busy CPU ticks now (no memory figures). */
  static Reading readMachine() {
    try {
      return new Reading(System.nanoTime(), ProcessReadings.machineBusyTicks(Files.readString(Path.of("/proc/stat"))), 0, 0);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/stat: " + e.getMessage(), e);
    }
  }

  /** CPU in percent of one core between two readings. */
  static double cpuPercent(Reading before, Reading after) {
    return ProcessReadings.cpuPercent(before.cpuTicks(), after.cpuTicks(), before.nanos(), after.nanos(), TICKS_PER_SECOND);
  }

  static Use between(String process, Reading before, Reading after) {
    return new Use(process, cpuPercent(before, after), after.rssKb(), after.peakRssKb());
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return Long.parseLong(new String(p.getInputStream().readAllBytes()).strip());
      }
    } catch (IOException | NumberFormatException e) {
      // fall through to Linux's fixed USER_HZ
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}

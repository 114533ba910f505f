package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.benchmarks.ProcessReadings.ClassCount;
import dev.clearway.benchmarks.ProcessReadings.ClassDelta;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parsers on output captured from Linux and jcmd (OpenJDK 17.0.15). */
class ProcessReadingsTest {
  private static final String STATUS = String.join("\n",
      "Name:\tjava",
      "State:\tS (sleeping)",
      "VmPeak:\t 3710420 kB",
      "VmHWM:\t   71200 kB",
      "VmRSS:\t   69148 kB",
      "RssAnon:\t   52000 kB",
      "Threads:\t21",
      "voluntary_ctxt_switches:\t5",
      "");

  @Test
  void readsVmRssAndThreadsFromProcStatusNotTheirLookalikes() {
    assertThat(ProcessReadings.kilobytes(STATUS, "VmRSS")).isEqualTo(69_148);
    assertThat(ProcessReadings.kilobytes(STATUS, "VmHWM")).isEqualTo(71_200);
    assertThat(ProcessReadings.threads(STATUS)).isEqualTo(21);
  }

  @Test
  void readsMemTotalFromMeminfo() {
    String meminfo = "MemTotal:       24573412 kB\nMemFree:        20000000 kB\n";
    assertThat(ProcessReadings.kilobytes(meminfo, "MemTotal")).isEqualTo(24_573_412);
  }

  @Test
  void aMissingKeyIsAnErrorNotZero() {
    assertThatThrownBy(() -> ProcessReadings.kilobytes("Name:\tjava\n", "VmRSS"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VmRSS");
  }

  @Test
  void readsTheG1HeapsUsedBytesNotMetaspace() {
    String heapInfo = String.join("\n",
        "23567:",
        " garbage-first heap   total 65536K, used 7571K [0x00000000fc000000, 0x0000000100000000)",
        "  region size 1024K, 5 young (5120K), 1 survivors (1024K)",
        " Metaspace       used 8936K, committed 9088K, reserved 1114112K",
        "  class space    used 1062K, committed 1152K, reserved 1048576K",
        "");
    assertThat(ProcessReadings.g1HeapUsedBytes(heapInfo)).isEqualTo(7571L * 1024);
  }

  @Test
  void refusesAnotherCollectorsHeapInfo() {
    String serial = " def new generation   total 9792K, used 1234K [0x1, 0x2, 0x3)\n";
    assertThatThrownBy(() -> ProcessReadings.g1HeapUsedBytes(serial)).isInstanceOf(IllegalArgumentException.class);
  }

  private static final String HISTOGRAM_BEFORE = String.join("\n",
      "23567:",
      " num     #instances         #bytes  class name (module)",
      "-------------------------------------------------------",
      "   1:         13058         795032  [B (java.base@17.0.15)",
      "   2:          3003         360968  java.lang.Class (java.base@17.0.15)",
      "   3:         12898         309552  java.lang.String (java.base@17.0.15)",
      "Total         28959        1465552",
      "");
  private static final String HISTOGRAM_AFTER = String.join("\n",
      "23567:",
      " num     #instances         #bytes  class name (module)",
      "-------------------------------------------------------",
      "   1:         23058        5795032  [B (java.base@17.0.15)",
      "   2:          5000         400000  sun.security.ssl.SSLEngineImpl (java.base@17.0.15)",
      "   3:         12898         309552  java.lang.String (java.base@17.0.15)",
      "   4:          3003         360960  java.lang.Class (java.base@17.0.15)",
      "   5:            10            160  com.example.Twice",
      "   6:             5             80  com.example.Twice",
      "Total         43974        6865784",
      "");

  @Test
  void parsesHistogramRowsAndAddsUpAClassLoadedTwice() {
    Map<String, ClassCount> after = ProcessReadings.classHistogram(HISTOGRAM_AFTER);
    assertThat(after).containsEntry("[B", new ClassCount(23_058, 5_795_032))
        .containsEntry("com.example.Twice", new ClassCount(15, 240))
        .doesNotContainKey("Total");
  }

  @Test
  void ranksGrowthByBytesIncludingNewClassesAndShrinkingOnesLast() {
    var top = ProcessReadings.topGrowth(
        ProcessReadings.classHistogram(HISTOGRAM_BEFORE), ProcessReadings.classHistogram(HISTOGRAM_AFTER), 10);
    assertThat(top).first().isEqualTo(new ClassDelta("[B", 10_000, 5_000_000));
    assertThat(top.get(1)).isEqualTo(new ClassDelta("sun.security.ssl.SSLEngineImpl", 5_000, 400_000));
    assertThat(top).last().isEqualTo(new ClassDelta("java.lang.Class", 0, -8));
    assertThat(ProcessReadings.topGrowth(
        ProcessReadings.classHistogram(HISTOGRAM_BEFORE), ProcessReadings.classHistogram(HISTOGRAM_AFTER), 2))
        .hasSize(2);
  }

  @Test
  void parsesNativeMemoryCategoriesAndTheTotal() {
    String nmt = String.join("\n",
        "23567:",
        "",
        "Native Memory Tracking:",
        "",
        "Total: reserved=1511542KB, committed=89338KB",
        "       malloc: 12086KB #61533",
        "",
        "-                 Java Heap (reserved=65536KB, committed=14336KB)",
        "                            (mmap: reserved=65536KB, committed=14336KB) ",
        " ",
        "-                    Thread (reserved=20533KB, committed=917KB)",
        "                            (thread #20)",
        "-                     Other (reserved=2055KB, committed=2055KB)",
        "");
    assertThat(ProcessReadings.nativeMemoryCommittedKb(nmt)).containsExactly(
        Map.entry("Total", 89_338L), Map.entry("Java Heap", 14_336L), Map.entry("Thread", 917L), Map.entry("Other", 2_055L));
  }

  @Test
  void perUnitDividesTheGrowthAndRefusesNoUnits() {
    assertThat(ProcessReadings.perUnit(1_000, 50_000, 4_900)).isEqualTo(10.0);
    assertThat(ProcessReadings.perUnit(5_000, 4_000, 100)).isEqualTo(-10.0);
    assertThatThrownBy(() -> ProcessReadings.perUnit(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void cpuTicksAreUserPlusSystemTimeCountedFromTheLastParenthesisOfTheCommandName() {
    // /proc/<pid>/stat of a JVM whose thread name holds a space and a parenthesis.
    String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 123 0 0 0 1500 250 3 4 20 0 40 0 100 3793276 172154 ";
    assertThat(ProcessReadings.cpuTicks(stat)).isEqualTo(1750);
  }

  @Test
  void cpuPercentIsOfOneCoreOverTheTimeBetweenReadings() {
    // 150 ticks of 1/100 s in 1 s: one and a half cores busy.
    assertThat(ProcessReadings.cpuPercent(1000, 1150, 5_000_000_000L, 6_000_000_000L, 100)).isEqualTo(150.0);
    assertThatThrownBy(() -> ProcessReadings.cpuPercent(0, 1, 10, 10, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ProcessReadings.cpuTicks("no parenthesis here")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theMachinesBusyTimeIsEverythingButIdleAndIowait() {
    String stat = "cpu  100 5 20 9000 300 1 2 3 0 0\ncpu0 50 2 10 4500 150 0 1 1 0 0\nintr 1 2 3\n";
    assertThat(ProcessReadings.machineBusyTicks(stat)).isEqualTo(100 + 5 + 20 + 1 + 2 + 3);
    assertThatThrownBy(() -> ProcessReadings.machineBusyTicks("intr 1 2 3\n")).isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.clearway.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The end-to-end harness's command line ({@link EndToEnd}); the defaults fit the whole comparison
 * (two systems, two phases each) into about four minutes on 2 cores.
 *
 * @param devices K, the devices publishing (each its own MQTT/TLS connection)
 * @param window closed loop: the messages each device keeps in flight
 * @param windowScope closed loop: when a message stops counting against its device's window: once
 *     acknowledged and arrived upstream (end-to-end, the default), or once acknowledged (puback)
 * @param warmupSeconds each phase's warm-up, not counted
 * @param durationSeconds each phase's measured window
 * @param rate the fixed-rate phase's total rate (messages/s); empty: half of the first system's
 *     closed-loop throughput (Clearway's, by default)
 * @param messageBytes the size of each message body
 * @param systems which systems run, in order: "clearway", "mosquitto"
 * @param gatewayHeap the gateway JVM's -Xms and -Xmx
 * @param bridgeInflight Mosquitto's {@code max_inflight_messages}: its bridge's window towards the upstream
 * @param storeSync the gateway's {@code clearway.streams.store.sync}: true (fsync before PUBACK) for the
 *     comparison; false only to see what the fsyncs cost
 * @param jfr record the gateway with Java Flight Recorder from its start; each measured window is dumped and summarized
 * @param gatewayFlags further JVM flags for the gateway (a setting to try, {@code -Dclearway.x=y}), after the heap flags
 * @param workDir where configurations, logs, data and raw results go
 * @param plotDir where the PNG plots go (run.sh: benchmarks/results, beside RESULTS.md)
 * @param fragment the Markdown section written for RESULTS.md
 */
record E2eOptions(int devices, int window, LoadGenerator.WindowScope windowScope, int warmupSeconds, int durationSeconds, Optional<Integer> rate,
                  int messageBytes, List<String> systems, String gatewayHeap, int bridgeInflight, boolean storeSync,
                  boolean jfr, List<String> gatewayFlags,
                  String tls, Path gatewayJar, Path workDir, Path plotDir, Path fragment, int maxOutstanding,
                  int maxMinutes) {

  static final List<String> SYSTEMS = List.of("clearway", "mosquitto");

  static E2eOptions parse(String[] args) {
    Args a = Args.parse(args,
        List.of("--devices", "--window", "--window-scope", "--warmup", "--duration", "--rate", "--message-bytes", "--systems",
            "--gateway-heap", "--bridge-inflight", "--store-sync", "--tls", "--gateway-jar", "--work-dir", "--plot-dir", "--fragment",
            "--max-outstanding", "--max-minutes", "--gateway-flags"),
        List.of("--jfr"));
    List<String> systems = new ArrayList<>();
    for (String s : a.string("--systems", "clearway,mosquitto").split(",")) {
      String name = s.strip();
      if (!SYSTEMS.contains(name)) {
        throw new IllegalArgumentException("--systems: unknown system '" + name + "'; known: " + String.join(", ", SYSTEMS));
      }
      if (systems.contains(name)) {
        throw new IllegalArgumentException("--systems: " + name + " named twice");
      }
      systems.add(name);
    }
    String tls = a.string("--tls", "TLSv1.3");
    if (!tls.equals("TLSv1.3") && !tls.equals("TLSv1.2")) {
      throw new IllegalArgumentException("--tls must be TLSv1.3 or TLSv1.2, was " + tls);
    }
    LoadGenerator.WindowScope scope = switch (a.string("--window-scope", "end-to-end")) {
      case "end-to-end" -> LoadGenerator.WindowScope.END_TO_END;
      case "puback" -> LoadGenerator.WindowScope.PUBACK;
      default -> throw new IllegalArgumentException("--window-scope must be end-to-end or puback, was "
          + a.string("--window-scope", ""));
    };
    String sync = a.string("--store-sync", "true");
    if (!sync.equals("true") && !sync.equals("false")) {
      throw new IllegalArgumentException("--store-sync must be true or false, was " + sync);
    }
    String heap = a.string("--gateway-heap", "1g");
    if (!heap.matches("\\d+[kmgKMG]")) {
      throw new IllegalArgumentException("--gateway-heap must be a JVM size such as 1g or 512m, was " + heap);
    }
    return new E2eOptions(
        a.integer("--devices", 100, 1, 10_000),
        a.integer("--window", 10, 1, 1000),
        scope,
        a.integer("--warmup", 15, 0, 3600),
        a.integer("--duration", 30, 1, 3600),
        a.optionalInteger("--rate", 1, 10_000_000),
        a.integer("--message-bytes", 1024, Payload.STAMP_BYTES, 256 * 1024),
        List.copyOf(systems),
        heap,
        a.integer("--bridge-inflight", 20, 0, 65_535),
        Boolean.parseBoolean(sync),
        a.flag("--jfr"),
        a.jvmFlags("--gateway-flags"),
        tls,
        a.path("--gateway-jar", "actors/target/clearway.jar"),
        a.path("--work-dir", "benchmarks/target/e2e"),
        a.path("--plot-dir", "benchmarks/target/e2e/plots"),
        a.path("--fragment", "benchmarks/target/e2e/e2e.md"),
        a.integer("--max-outstanding", 100_000, 1, 10_000_000),
        a.integer("--max-minutes", 20, 1, 24 * 60));
  }

  /** The name of the gateway's JFR recording (with {@code --jfr}), dumped with jcmd after each measured window. */
  static final String JFR_RECORDING = "clearway-e2e";

  /**
   * The gateway's JVM flags. With {@code --jfr} the recording starts with the JVM: started later
   * (jcmd JFR.start), its instrumentation invalidates compiled code, and the measured window would
   * be spent recompiling (the CPU figures of such runs were several times too high).
   */
  List<String> gatewayJvmFlags() {
    List<String> flags = new ArrayList<>(List.of("-Xms" + gatewayHeap, "-Xmx" + gatewayHeap, "-XX:+UseG1GC"));
    if (jfr) {
      flags.add("-XX:StartFlightRecording=name=" + JFR_RECORDING + ",settings=profile,maxage=30m");
    }
    flags.addAll(gatewayFlags);
    return List.copyOf(flags);
  }
}

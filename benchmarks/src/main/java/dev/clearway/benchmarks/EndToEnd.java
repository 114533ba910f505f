package dev.clearway.benchmarks;

import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import dev.clearway.actors.cli.ClearwayCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The end-to-end comparison: the same MQTT/TLS load through Clearway and through a Mosquitto bridge
 * to the same upstream Mosquitto, in one run, each system as its own process.
 *
 * <p>Per system: connect K devices; a closed-loop phase (each device keeps {@code --window} messages
 * awaiting their PUBACK) finds the maximum throughput; a fixed-rate phase at half of Clearway's
 * maximum (the same rate for both systems) measures latency. Each phase has a warm-up that is not
 * counted, a measured window, and a drain that waits until every acknowledged message has arrived
 * upstream; what never arrives is reported as lost. CPU and RSS of the system under test, the
 * upstream broker and this JVM (the load generator) are read from /proc at the window's edges.
 *
 * <p>Writes a Markdown section ({@code --fragment}), PNG plots ({@code --plot-dir}) and raw data
 * (per-second arrivals, HdrHistogram percentile tables, logs) under {@code --work-dir}. Options: see
 * {@link E2eOptions}; {@code benchmarks/run.sh} runs it with its defaults. Every process it starts is
 * stopped before it exits, also when it is interrupted; a watchdog ends it after {@code --max-minutes}.
 */
public final class EndToEnd {
  static final String HUB = "bench-hub.azure-devices.net";
  private static final Pattern SAS_KEY = Pattern.compile("SharedAccessKey=([^;\\s]+)");

  private final E2eOptions options;
  private final Deque<Runnable> cleanups = new ConcurrentLinkedDeque<>();
  private int phaseNumber;

  private EndToEnd(E2eOptions options) {
    this.options = options;
  }

  /** Exit code 0 when every phase ran and nothing acknowledged was lost, 1 otherwise, 2 on bad arguments. */
  public static void main(String[] args) {
    E2eOptions options = HarnessMain.parseOrExit("EndToEnd", E2eOptions::parse, args);
    EndToEnd e2e = new EndToEnd(options);
    HarnessMain.run("EndToEnd", options.maxMinutes(), e2e::cleanUp, e2e::run);
  }

  private int run() throws Exception {
    try {
      return measure();
    } finally {
      cleanUp();
    }
  }

  private int measure() throws Exception {
    Path work = options.workDir();
    // Only what an earlier run left here; the directory itself may hold other things.
    for (String mine : List.of("pki", "upstream", "bridge", "clearway", "raw")) {
      deleteRecursively(work.resolve(mine));
    }
    Files.createDirectories(work.resolve("raw"));
    String loadAverage = Machine.loadAverage();
    Mosquitto.ServerTls pki = BenchPki.create(work.resolve("pki"));
    String user = System.getProperty("user.name");
    int upstreamTls = freeLoopbackPort();
    int upstreamPlain = freeLoopbackPort();
    // The subscriber takes everything: a window of 1,000 keeps its stream full.
    Mosquitto upstream = started(Mosquitto.start("upstream", work.resolve("upstream"),
        Mosquitto.upstreamConfig(work.resolve("upstream"), user, upstreamTls, upstreamPlain, pki, 1000), upstreamTls));
    System.out.println("upstream mosquitto pid " + upstream.pid() + ": TLS on " + upstreamTls + ", plain on " + upstreamPlain);

    // Two Netty threads for all devices, one for the subscriber: the load generator must not take
    // the machine's cores from the systems it measures.
    // (Explicit executors: HiveMQ's client shares one default event loop among all its clients.)
    MqttClientExecutorConfig devicesExecutor = MqttClientExecutorConfig.builder()
        .nettyExecutor(Executors.newFixedThreadPool(2, daemon("e2e-devices-netty"))).nettyThreads(2).build();
    UpstreamSubscriber subscriber = UpstreamSubscriber.connect(upstreamPlain, MqttClientExecutorConfig.builder()
        .nettyExecutor(Executors.newFixedThreadPool(1, daemon("e2e-subscriber-netty"))).nettyThreads(1).build());
    cleanups.add(subscriber::close);

    List<PhaseResult> results = new ArrayList<>();
    List<String> profiles = new ArrayList<>();
    Double rate = options.rate().map(Integer::doubleValue).orElse(null);
    String rateOrigin = options.rate().isPresent() ? "--rate" : null;
    for (String system : options.systems()) {
      SystemUnderTest sut = system.equals("clearway")
          ? startClearway(work.resolve("clearway"), upstreamTls, pki)
          : startBridge(work.resolve("bridge"), upstreamTls, pki, upstream);
      try (LoadGenerator devices = LoadGenerator.connect(sut.target(), HUB, sut.keys(), options.messageBytes(),
          devicesExecutor, subscriber)) {
        System.out.println(sut.name() + ": " + devices.devices() + " devices connected");
        PhaseResult max = phase(sut, upstream, devices, PhaseResult.Mode.CLOSED_LOOP, 0, profiles);
        results.add(max);
        if (rate == null) {
          // Half of the first system's maximum (Clearway's, in the default order), to 10 msg/s.
          rate = Math.max(10, Math.round(max.arrivedPerSecond() / 2 / 10) * 10.0);
          rateOrigin = "half of " + sut.name() + "'s closed-loop throughput, " + String.format(Locale.ROOT, "%,.0f", max.arrivedPerSecond());
        }
        results.add(phase(sut, upstream, devices, PhaseResult.Mode.FIXED_RATE, rate, profiles));
      } finally {
        sut.stop().run();
      }
    }
    System.out.println("stray arrivals at the upstream (late from an earlier phase, or not ours): " + subscriber.strays());

    List<String> plots = plots(results, rate == null ? 0 : rate);
    E2eReport.Run report = new E2eReport.Run(Machine.now(), Machine.describe(), Machine.jdk(), loadAverage,
        ProcessHandle.current().info().commandLine().orElse("EndToEnd"), options, rate == null ? 0 : rate,
        rateOrigin == null ? "none" : rateOrigin, mosquittoVersion(), results, plots, String.join("\n", profiles));
    String markdown = E2eReport.render(report);
    Files.createDirectories(options.fragment().toAbsolutePath().getParent());
    Files.writeString(options.fragment(), markdown);
    System.out.println();
    System.out.println(markdown);
    System.out.println("written to " + options.fragment());
    boolean complete = results.stream().allMatch(r -> r.keptUp() && r.lost() == 0 && r.failed() == 0);
    return complete ? 0 : 1;
  }

  // --- the systems under test ----------------------------------------------------------------

  /** A started system: where devices connect, their keys, its pid, and how to stop it. */
  private record SystemUnderTest(String name, String process, LoadGenerator.Target target, Map<String, String> keys,
                                 long pid, GatewayProcess gateway, Runnable stop) {}

  private SystemUnderTest startClearway(Path dir, int upstreamTls, Mosquitto.ServerTls pki) throws Exception {
    Path data = dir.resolve("data");
    Files.createDirectories(data);
    int port = freeLoopbackPort();
    Path config = dir.resolve("gateway.conf");
    Files.writeString(config, gatewayConfig(port, upstreamTls, pki.caFile(), options.storeSync()));
    Map<String, String> keys = addDevices(config, data);
    GatewayProcess gateway = GatewayProcess.start(options.gatewayJar(), options.gatewayJvmFlags(), config, data,
        dir.resolve("gateway.log"));
    cleanups.add(gateway::kill);
    MqttClientSslConfig tls = HarnessMain.clientTls(data.resolve("certs").resolve("azure-iot-test-only.root.ca.cert.pem"), options.tls());
    return new SystemUnderTest(E2eReport.CLEARWAY, "gateway JVM", new LoadGenerator.Target(E2eReport.CLEARWAY, "127.0.0.1", port, tls),
        keys, gateway.pid(), gateway, gateway::stop);
  }

  /** The gateway's configuration: listener, uplink to the upstream over TLS, the store's durability, one route. */
  static String gatewayConfig(int port, int upstreamTls, Path upstreamCa, boolean storeSync) {
    return String.join("\n",
        "clearway.mqtt.bind-address = \"127.0.0.1\"",
        "clearway.mqtt.port = " + port,
        "clearway.tls.hostname = \"127.0.0.1\"",
        "clearway.hub.hostname = \"" + HUB + "\"",
        "clearway.upstream.address = \"127.0.0.1:" + upstreamTls + "\"",
        "clearway.upstream.trust-bundle-cert = \"" + upstreamCa.toAbsolutePath() + "\"",
        "clearway.streams.store.sync = " + storeSync,
        "clearway.routes.upstream = \"FROM /messages/* INTO $upstream\"",
        "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"",
        "pekko.remote.artery.canonical.port = 0",
        "");
  }

  /**
   * {@code clearway devices add --id bench-NNNN} for every device, run in this JVM through the
   * command line's own entry point (a JVM start per device would take minutes); the SAS key is read
   * from the connection string it prints.
   */
  private Map<String, String> addDevices(Path config, Path data) {
    Map<String, String> keys = new LinkedHashMap<>();
    for (int i = 0; i < options.devices(); i++) {
      String id = String.format(Locale.ROOT, "bench-%04d", i);
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = ClearwayCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
          .execute("devices", "add", "--id", id, "--config", config.toString(), "--data-dir", data.toString());
      Matcher m = SAS_KEY.matcher(out.toString());
      if (code != 0 || !m.find()) {
        throw new IllegalStateException("clearway devices add --id " + id + " failed (" + code + "): " + out + err);
      }
      keys.put(id, m.group(1));
    }
    return keys;
  }

  private SystemUnderTest startBridge(Path dir, int upstreamTls, Mosquitto.ServerTls pki, Mosquitto upstream) throws Exception {
    int port = freeLoopbackPort();
    Mosquitto bridge = started(Mosquitto.start("bridge", dir, Mosquitto.bridgeConfig(dir, System.getProperty("user.name"),
        port, pki, new Mosquitto.BridgeTarget(upstreamTls, pki.caFile(), options.bridgeInflight())), port));
    awaitLogLine(upstream.dir().resolve("mosquitto.log"), "as " + Mosquitto.BRIDGE_CLIENT_ID + " ", 30);
    Map<String, String> keys = new LinkedHashMap<>();
    for (int i = 0; i < options.devices(); i++) {
      // The bridge ignores credentials (allow_anonymous); the devices send the same ones anyway.
      keys.put(String.format(Locale.ROOT, "bench-%04d", i), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    }
    MqttClientSslConfig tls = HarnessMain.clientTls(pki.caFile(), options.tls());
    return new SystemUnderTest(E2eReport.MOSQUITTO, "bridge mosquitto",
        new LoadGenerator.Target(E2eReport.MOSQUITTO, "127.0.0.1", port, tls), keys, bridge.pid(), null, bridge::stop);
  }

  private Mosquitto started(Mosquitto m) {
    cleanups.add(m::stop);
    return m;
  }

  // --- one phase -----------------------------------------------------------------------------

  private PhaseResult phase(SystemUnderTest sut, Mosquitto upstream, LoadGenerator devices, PhaseResult.Mode mode,
                            double rate, List<String> profiles) throws Exception {
    int number = ++phaseNumber;
    long warmup = TimeUnit.SECONDS.toNanos(options.warmupSeconds());
    long measure = TimeUnit.SECONDS.toNanos(options.durationSeconds());
    PhaseRecorder recorder = new PhaseRecorder(number, devices.devices(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200),
        warmup, measure, options.warmupSeconds() + options.durationSeconds() + 200);
    String label = sut.name() + ", " + mode.label;
    System.out.printf(Locale.ROOT, "%s: %d s warm-up, %d s measured%s%n", label, options.warmupSeconds(),
        options.durationSeconds(), mode == PhaseResult.Mode.FIXED_RATE ? String.format(Locale.ROOT, " at %,.0f msg/s", rate) : "");
    Map<String, Long> pids = new LinkedHashMap<>();
    pids.put(sut.process(), sut.pid());
    pids.put("upstream mosquitto", upstream.pid());
    pids.put("load generator JVM", ProcessHandle.current().pid());
    Path jfr = options.workDir().resolve("raw").resolve(String.format(Locale.ROOT, "phase-%d-%s.jfr", number,
        mode.name().toLowerCase(Locale.ROOT)));
    boolean profile = options.jfr() && sut.gateway() != null;
    // The recording runs since the gateway started (E2eOptions.gatewayJvmFlags); the window is the last duration of it.
    WindowMeter meter = new WindowMeter(recorder, pids, () -> { },
        profile ? () -> jcmdQuietly(sut.gateway(), "JFR.dump", "name=" + E2eOptions.JFR_RECORDING,
            "begin=-" + options.durationSeconds() + "s", "filename=" + jfr.toAbsolutePath()) : () -> { });
    meter.start();
    boolean keptUp = true;
    if (mode == PhaseResult.Mode.CLOSED_LOOP) {
      devices.closedLoop(recorder, options.window(), options.windowScope());
    } else {
      keptUp = devices.fixedRate(recorder, rate, options.maxOutstanding());
    }
    meter.join(TimeUnit.SECONDS.toMillis(60));
    double drained = LoadGenerator.drain(recorder, 15, 120);
    PhaseResult result = new PhaseResult(sut.name(), mode, rate, options.warmupSeconds(), options.durationSeconds(),
        recorder.sentCount(), recorder.ackedCount(), recorder.failedCount(), recorder.missing(), recorder.duplicateCount(),
        recorder.ackedInWindow() / (double) options.durationSeconds(),
        recorder.arrivedInWindow() / (double) options.durationSeconds(),
        recorder.latencyMicros(), recorder.ackLatencyMicros(), recorder.arrivalsPerSecond(), keptUp, drained, meter.uses(), recorder.firstError());
    System.out.printf(Locale.ROOT, "%s: %,.0f msg/s arrived, %,.0f acknowledged; p50 %s ms, p99 %s ms, max %s ms "
            + "(PUBACK p50 %s ms, p99 %s ms); %,d sent, %,d lost, %,d duplicates; drained in %.1f s%n", label,
        result.arrivedPerSecond(), result.ackedPerSecond(),
        E2eReport.ms(result.latencyMillis(50)), E2eReport.ms(result.latencyMillis(99)), E2eReport.ms(result.maxLatencyMillis()),
        E2eReport.ms(result.ackLatencyMillis(50)), E2eReport.ms(result.ackLatencyMillis(99)),
        result.sent(), result.lost(), result.duplicates(), drained);
    writeRaw(number, result, recorder.maxLatencyPerSecond());
    if (profile && Files.exists(jfr)) {
      profiles.add(JfrSummary.summarize(jfr, "Where the gateway's CPU went: " + label + " (JFR, measured window)", 15));
    }
    return result;
  }

  /** The row of the CPU table for everything the harness did not start. */
  static final String OTHERS = "everything else on the machine";

  /** Reads the processes at the measured window's start and end, and runs the hooks there. */
  private static final class WindowMeter extends Thread {
    private final PhaseRecorder recorder;
    private final Map<String, Long> pids;
    private final Runnable atStart;
    private final Runnable atEnd;
    private final List<ProcessMeter.Use> uses = new CopyOnWriteArrayList<>();

    WindowMeter(PhaseRecorder recorder, Map<String, Long> pids, Runnable atStart, Runnable atEnd) {
      super("e2e-window-meter");
      setDaemon(true);
      this.recorder = recorder;
      this.pids = pids;
      this.atStart = atStart;
      this.atEnd = atEnd;
    }

    @Override
    public void run() {
      try {
        sleepUntil(recorder.measureFrom());
        ProcessMeter.Reading machineBefore = ProcessMeter.readMachine();
        Map<String, ProcessMeter.Reading> before = readAll();
        atStart.run();
        sleepUntil(recorder.end());
        ProcessMeter.Reading machineAfter = ProcessMeter.readMachine();
        Map<String, ProcessMeter.Reading> after = readAll();
        atEnd.run();
        before.forEach((name, b) -> uses.add(ProcessMeter.between(name, b, after.get(name))));
        // What else ran meanwhile (other users' builds and tests): the machine's busy time minus ours.
        double ours = uses.stream().mapToDouble(ProcessMeter.Use::cpuPercent).sum();
        uses.add(new ProcessMeter.Use(OTHERS, Math.max(0, ProcessMeter.cpuPercent(machineBefore, machineAfter) - ours), 0, 0));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        System.err.println("could not read the processes' CPU and memory: " + e.getMessage());
      }
    }

    private Map<String, ProcessMeter.Reading> readAll() {
      Map<String, ProcessMeter.Reading> readings = new LinkedHashMap<>();
      pids.forEach((name, pid) -> readings.put(name, ProcessMeter.read(pid)));
      return readings;
    }

    List<ProcessMeter.Use> uses() {
      return List.copyOf(uses);
    }
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long wait;
    while ((wait = nanos - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
    }
  }

  private static void jcmdQuietly(GatewayProcess gateway, String... command) {
    try {
      gateway.jcmd(command);
    } catch (Exception e) {
      System.err.println("jcmd " + String.join(" ", command) + ": " + e.getMessage());
    }
  }

  // --- output --------------------------------------------------------------------------------

  private List<String> plots(List<PhaseResult> results, double rate) throws IOException {
    Path dir = options.plotDir();
    Plots.throughput(results, dir.resolve("e2e-throughput.png"));
    Plots.latency(results.stream().filter(r -> r.mode() == PhaseResult.Mode.FIXED_RATE).toList(),
        String.format(Locale.ROOT, "End-to-end latency at a fixed %,.0f msg/s, by percentile", rate), dir.resolve("e2e-latency.png"));
    Plots.latency(results.stream().filter(r -> r.mode() == PhaseResult.Mode.CLOSED_LOOP).toList(),
        "End-to-end latency in the closed loop (at max throughput), by percentile", dir.resolve("e2e-latency-closed-loop.png"));
    String prefix = options.plotDir().getFileName().toString() + "/";
    return List.of(
        "![Throughput over time](" + prefix + "e2e-throughput.png)",
        "![Latency by percentile, fixed rate](" + prefix + "e2e-latency.png)",
        "![Latency by percentile, closed loop](" + prefix + "e2e-latency-closed-loop.png)");
  }

  /** The per-second series (arrivals, and the longest latency among them: where the tail sits in time) and the latency histogram. */
  private void writeRaw(int number, PhaseResult r, long[] maxLatencyMicros) throws IOException {
    String base = String.format(Locale.ROOT, "phase-%d-%s-%s", number, r.system().toLowerCase(Locale.ROOT).replace(' ', '-'),
        r.mode().name().toLowerCase(Locale.ROOT));
    StringBuilder csv = new StringBuilder("second,arrived,max_latency_ms\n");
    long[] series = r.arrivalsPerSecond();
    for (int i = 0; i < series.length; i++) {
      csv.append(i).append(',').append(series[i]).append(',')
          .append(String.format(Locale.ROOT, "%.2f", maxLatencyMicros[i] / 1000.0)).append('\n');
    }
    Path raw = options.workDir().resolve("raw");
    Files.writeString(raw.resolve(base + "-arrivals.csv"), csv);
    try (PrintStream out = new PrintStream(Files.newOutputStream(raw.resolve(base + "-latency-us.hgrm")))) {
      r.latencyMicros().outputPercentileDistribution(out, 1.0);
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static int freeLoopbackPort() throws IOException {
    // A small race: another process may take the port before ours binds it; the start then fails and says so.
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static void awaitLogLine(Path log, String text, int seconds) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("'" + text + "' did not appear in " + log + " within " + seconds + " s");
  }

  private static String mosquittoVersion() {
    try {
      Process p = new ProcessBuilder("mosquitto", "-h").redirectErrorStream(true).start();
      String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("mosquitto");
      p.waitFor(10, TimeUnit.SECONDS);
      return first.replace("version ", "").strip();
    } catch (IOException e) {
      return "mosquitto";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "mosquitto";
    }
  }

  /** Stops whatever is still running, newest first, each once (the run's end and the shutdown hook both call it). */
  private void cleanUp() {
    Runnable step;
    while ((step = cleanups.pollLast()) != null) {
      try {
        step.run();
      } catch (RuntimeException e) {
        System.err.println("cleanup: " + e);
      }
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

package dev.clearway.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.benchmarks.ProcessReadings.ClassCount;
import dev.clearway.benchmarks.ProcessReadings.ClassDelta;
import dev.clearway.tls.SasToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Memory per idle MQTT/TLS connection of the gateway, measured from outside the gateway process;
 * with {@code --mosquitto}, the same for a Mosquitto broker with a TLS listener, for comparison.
 *
 * <p>The harness creates a temporary data directory holding {@code --warmup} + {@code --connections}
 * SAS identities, starts {@code clearway.jar run} as a separate JVM with fixed flags
 * ({@link #gatewayJvmFlags}), warms it up by opening and closing {@code --warmup} connections of
 * identities of their own (so JIT compilation and class loading do not count as connection cost),
 * opens {@code --baseline} connections with the HiveMQ MQTT client (MQTT 3.1.1 over TLS, clean
 * session, a keep-alive long enough to stay idle), lets them settle and measures; then opens the
 * rest up to {@code --connections}, settles and measures again. Each measurement takes a full GC
 * ({@code jcmd GC.run}) and then reads the G1 heap's used bytes ({@code GC.heap_info}), VmRSS and
 * Threads ({@code /proc/<pid>/status}) and a class histogram. The per-connection figures are
 * {@code (after - baseline) / (connections - baseline)}.
 *
 * <p>The client sockets are bound to source addresses 127.0.0.2, 127.0.0.3, … with at most
 * {@code --per-address} connections on each, so that 10,000 connections and more stay clear of the
 * ephemeral port range of one source address (and of the ports still in TIME_WAIT from the warm-up).
 *
 * <p>The gateway heap is fixed ({@code -Xms = -Xmx}) and pre-touched ({@code -XX:+AlwaysPreTouch}):
 * its RSS then holds the whole heap from the start, and the RSS growth is what the connections cost
 * outside the Java heap (direct buffers, thread stacks, malloc). Without pre-touching, the RSS
 * growth would mostly be how much of the young generation G1 happened to touch. The total cost of a
 * connection is therefore heap/conn + RSS/conn. Mosquitto has no heap of its own to read: its cost
 * is the RSS growth alone (no warm-up; its TLS listener uses an {@code openssl}-made ECDSA P-256
 * certificate, as the gateway's).
 *
 * <p>Usage (see {@code benchmarks/idle-connections.sh}, which builds first, and {@code benchmarks/run.sh}):
 *
 * <pre>
 * java -Xmx3g -cp benchmarks/target/benchmarks.jar dev.clearway.benchmarks.IdleConnectionMemory \
 *     [--connections 5000] [--baseline 100] [--warmup 1000] [--concurrency 200] [--settle-seconds 15] \
 *     [--gateway-heap 1g] [--tls TLSv1.3] [--keep-alive 600] [--per-address 5000] [--nmt] [--mosquitto] \
 *     [--gateway-jar actors/target/clearway.jar] [--results benchmarks/RESULTS.md | --fragment FILE] \
 *     [--keep-data] [--dump-dir DIR] [--work-dir DIR] [--max-minutes 25] [--gateway-flags "-Dkey=value ..."]
 * </pre>
 *
 * <p>The report is appended to {@code --results} as a dated section, or, with {@code --fragment},
 * written alone to that file (for {@code run.sh}, which puts it into RESULTS.md's generated part).
 * {@code --nmt} starts the gateway with {@code -XX:NativeMemoryTracking=summary} and reports the
 * native memory growth per category; {@code --dump-dir} keeps the raw class histograms (and NMT
 * summaries) of every measurement there; {@code --work-dir} puts the data directory (identities,
 * store, logs, pid files) under that directory instead of the system's temporary one; {@code --gateway-flags}
 * adds JVM flags to the gateway's (a setting to try). Everything listens on 127.0.0.1 only; every process started is
 * stopped before the harness exits, and a watchdog ends the run after {@code --max-minutes}.
 */
public final class IdleConnectionMemory {
  private static final String HUB = "membench-hub.azure-devices.net";
  private static final String HOST = "127.0.0.1";
  /** The first source address's last byte: 127.0.0.2 (127.0.0.1 is where the servers listen). */
  private static final int FIRST_SOURCE = 2;

  /** The command line; the defaults are those of the usage above. */
  record Options(int connections, int baseline, int concurrency, int settleSeconds, String gatewayHeap,
                 String tls, int keepAlive, boolean nmt, Path gatewayJar, Path results, boolean keepData,
                 int maxMinutes, Optional<Path> dumpDir, int warmup, int perAddress, boolean mosquitto,
                 Optional<Path> fragment, Optional<Path> workDir, List<String> gatewayFlags) {

    static Options parse(String[] args) {
      Args a = Args.parse(args,
          List.of("--connections", "--baseline", "--concurrency", "--settle-seconds", "--gateway-heap", "--tls",
              "--keep-alive", "--gateway-jar", "--results", "--max-minutes", "--dump-dir", "--warmup", "--per-address",
              "--fragment", "--work-dir", "--gateway-flags"),
          List.of("--nmt", "--keep-data", "--mosquitto"));
      Options o = new Options(
          a.integer("--connections", 5000, 2, 1_000_000),
          a.integer("--baseline", 100, 1, 1_000_000),
          a.integer("--concurrency", 200, 1, 100_000),
          a.integer("--settle-seconds", 15, 0, 3600),
          a.string("--gateway-heap", "1g"),
          a.string("--tls", "TLSv1.3"),
          a.integer("--keep-alive", 600, 0, 65_535),
          a.flag("--nmt"),
          a.path("--gateway-jar", "actors/target/clearway.jar"),
          a.path("--results", "benchmarks/RESULTS.md"),
          a.flag("--keep-data"),
          a.integer("--max-minutes", 25, 1, 24 * 60),
          a.optionalPath("--dump-dir"),
          a.integer("--warmup", 1000, 0, 1_000_000),
          a.integer("--per-address", 5000, 1, 20_000),
          a.flag("--mosquitto"),
          a.optionalPath("--fragment"),
          a.optionalPath("--work-dir"),
          a.jvmFlags("--gateway-flags"));
      if (o.baseline >= o.connections) {
        throw new IllegalArgumentException("need 1 <= --baseline < --connections");
      }
      // 127.0.0.2 to 127.0.0.254; the Mosquitto comparison takes as many again after the gateway's.
      if (sourceAddresses(o.warmup + o.connections, o.perAddress) * (o.mosquitto ? 2 : 1) > 253) {
        throw new IllegalArgumentException("--per-address " + o.perAddress + " needs more than 253 source addresses for "
            + (o.warmup + o.connections) + " connections" + (o.mosquitto ? " (twice, with --mosquitto)" : "") + "; raise it");
      }
      return o;
    }
  }

  /** How many source addresses {@code connections} need at {@code perAddress} each. */
  static int sourceAddresses(int connections, int perAddress) {
    return (connections + perAddress - 1) / perAddress;
  }

  /** The source address of the {@code index}-th connection: 127.0.0.2 for the first {@code perAddress}, then .3, … */
  static String sourceAddress(int index, int perAddress) {
    return "127.0.0." + (FIRST_SOURCE + index / perAddress);
  }

  /** What was read from a process at one moment; heap, histogram and NMT only for the gateway. */
  record Snapshot(int connections, long heapUsedBytes, long rssKb, long threads,
                  Map<String, ClassCount> histogram, Map<String, Long> nativeKb) {}

  /** The Mosquitto comparison: its readings idle, at the baseline and at N. */
  record MosquittoReadings(String version, Snapshot idle, Snapshot base, Snapshot full, int failures, long stillConnected,
                           Duration connect) {}

  private final Options options;
  private final List<String> jvmFlags;
  private final Map<String, String> keys = new LinkedHashMap<>();
  private final List<Mqtt3AsyncClient> clients = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private Path dataDir;
  private String loadAverage = "?";
  private GatewayProcess gateway;
  private Mosquitto mosquitto;

  private IdleConnectionMemory(Options options) {
    this.options = options;
    this.jvmFlags = gatewayJvmFlags(options);
  }

  /** The gateway's JVM flags: fixed, so runs compare. */
  static List<String> gatewayJvmFlags(Options options) {
    List<String> flags = new ArrayList<>(List.of(
        "-Xms" + options.gatewayHeap(), "-Xmx" + options.gatewayHeap(), "-XX:+UseG1GC", "-XX:+AlwaysPreTouch"));
    if (options.nmt()) {
      flags.add("-XX:NativeMemoryTracking=summary");
    }
    flags.addAll(options.gatewayFlags());
    return List.copyOf(flags);
  }

  /** Runs the benchmark; exit code 0 when every connection succeeded, 1 when any failed, 2 on bad arguments. */
  public static void main(String[] args) {
    Options options = HarnessMain.parseOrExit("IdleConnectionMemory", Options::parse, args);
    IdleConnectionMemory bench = new IdleConnectionMemory(options);
    HarnessMain.run("IdleConnectionMemory", options.maxMinutes(), bench::cleanUpAfterAbort, bench::run);
  }

  private int run() throws Exception {
    dataDir = options.workDir().isPresent()
        ? Files.createTempDirectory(Files.createDirectories(options.workDir().get()), "clearway-membench-")
        : Files.createTempDirectory("clearway-membench-");
    try {
      // Connect times depend on what else runs on the machine; say how busy it was.
      loadAverage = Machine.loadAverage();
      Instant t0 = Instant.now();
      createIdentities();
      System.out.printf(Locale.ROOT, "%d identities in %.1f s%n", keys.size(), secondsSince(t0));
      int port = EndToEnd.freeLoopbackPort();
      Path config = writeConfig(port);
      gateway = GatewayProcess.start(options.gatewayJar(), jvmFlags, config, dataDir, dataDir.resolve("gateway.log"));

      MqttClientSslConfig ssl = HarnessMain.clientTls(dataDir.resolve("certs").resolve("azure-iot-test-only.root.ca.cert.pem"), options.tls());
      // One shared Netty event loop group of 2 threads for all clients: the client must not
      // out-compete the gateway for the machine's cores.
      MqttClientExecutorConfig executor = MqttClientExecutorConfig.builder().nettyThreads(2).build();

      int w = options.warmup();
      if (w > 0) {
        // Warm-up with identities of their own: JIT-compiles the handshake and CONNECT paths and
        // loads their classes, which would otherwise count as growth between baseline and N. Their
        // (idle, empty) device sessions stay, equally in both measurements.
        connect(0, w, port, ssl, executor, 0);
        disconnectAll();
        System.out.println("  warm-up: " + w + " connected and disconnected");
      }
      Snapshot idle = settleAndMeasure(0);
      Instant c0 = Instant.now();
      connect(w, w + options.baseline(), port, ssl, executor, 0);
      Duration baselineConnect = Duration.between(c0, Instant.now());
      Snapshot base = settleAndMeasure(options.baseline());
      Instant c1 = Instant.now();
      connect(w + options.baseline(), w + options.connections(), port, ssl, executor, 0);
      Duration restConnect = Duration.between(c1, Instant.now());
      Snapshot full = settleAndMeasure(options.connections());
      long stillConnected = clients.stream().filter(c -> c.getState().isConnected()).count();
      boolean allUp = failures.isEmpty() && stillConnected == clients.size(); // before disconnectAll clears the list
      int gatewayFailures = failures.size();
      String failureExample = failures.isEmpty() ? "" : failures.peek();
      disconnectAll();
      gateway.stop();

      Optional<MosquittoReadings> peer = Optional.empty();
      if (options.mosquitto()) {
        failures.clear();
        peer = Optional.of(measureMosquitto(executor));
        allUp &= peer.get().failures() == 0 && peer.get().stillConnected() == options.connections();
      }

      String report = report(idle, base, full, baselineConnect, restConnect, stillConnected, gatewayFailures,
          failureExample, peer);
      System.out.println();
      System.out.println(report);
      publish(report);
      return allUp ? 0 : 1;
    } finally {
      disconnectAll();
      if (gateway != null) {
        gateway.stop();
      }
      if (mosquitto != null) {
        mosquitto.stop();
      }
      if (!options.keepData()) {
        EndToEnd.deleteRecursively(dataDir);
      } else {
        System.out.println("data dir kept: " + dataDir);
      }
    }
  }

  /**
   * The same connections against a Mosquitto broker with one TLS listener: baseline, then N, RSS
   * only. The client sockets use source addresses after the gateway's, whose ports may still be in
   * TIME_WAIT.
   */
  private MosquittoReadings measureMosquitto(MqttClientExecutorConfig executor) throws Exception {
    Path dir = dataDir.resolve("mosquitto");
    Mosquitto.ServerTls tls = BenchPki.create(dataDir.resolve("mosquitto-pki"));
    int port = EndToEnd.freeLoopbackPort();
    mosquitto = Mosquitto.start("idle", dir,
        Mosquitto.listenerOnlyConfig(dir, System.getProperty("user.name"), port, tls), port);
    System.out.println("mosquitto pid " + mosquitto.pid() + " on port " + port);
    MqttClientSslConfig ssl = HarnessMain.clientTls(tls.caFile(), options.tls());
    int w = options.warmup();
    int addressBase = sourceAddresses(w + options.connections(), options.perAddress()) * options.perAddress();
    Snapshot idle = settleAndMeasure(0);
    Instant c0 = Instant.now();
    connect(w, w + options.baseline(), port, ssl, executor, addressBase);
    Snapshot base = settleAndMeasure(options.baseline());
    connect(w + options.baseline(), w + options.connections(), port, ssl, executor, addressBase);
    Duration connect = Duration.between(c0, Instant.now());
    Snapshot full = settleAndMeasure(options.connections());
    long stillConnected = clients.stream().filter(c -> c.getState().isConnected()).count();
    int failed = failures.size();
    disconnectAll();
    mosquitto.stop();
    return new MosquittoReadings(mosquittoVersion(dir), idle, base, full, failed, stillConnected, connect);
  }

  private static String mosquittoVersion(Path dir) {
    try {
      return Files.readAllLines(dir.resolve("mosquitto.log")).stream().filter(l -> l.contains("mosquitto version"))
          .findFirst().map(l -> l.substring(l.indexOf("mosquitto version")).replace(" starting", "").replace("version ", ""))
          .orElse("mosquitto");
    } catch (IOException e) {
      return "mosquitto";
    }
  }

  // --- preparation ---------------------------------------------------------------------------

  /**
   * Writes {@code identities.json} with all the SAS identities at once, in the registry's own format
   * ({@code clearway devices add} rewrites the whole file per identity, which takes minutes for
   * 10,000), and checks that the registry reads them all back.
   */
  private void createIdentities() throws IOException, IdentityRegistry.RegistryException {
    ObjectMapper json = new ObjectMapper();
    ArrayNode list = json.createArrayNode();
    for (int i = 0; i < options.warmup() + options.connections(); i++) {
      String id = i < options.warmup()
          ? String.format(Locale.ROOT, "membench-warmup-%05d", i)
          : String.format(Locale.ROOT, "membench-%05d", i - options.warmup());
      Credentials.SymmetricKey key = Credentials.SymmetricKey.generate();
      list.addObject().put("deviceId", id).put("auth", "sas").put("primaryKey", key.primaryKey())
          .put("secondaryKey", key.secondaryKey());
      keys.put(id, key.primaryKey());
    }
    ObjectNode root = json.createObjectNode();
    root.set("identities", list);
    Files.write(dataDir.resolve(IdentityRegistry.FILE_NAME), json.writeValueAsBytes(root));
    int read = IdentityRegistry.open(dataDir, Duration.ofSeconds(2), Clock.systemUTC()).list().size();
    if (read != keys.size()) {
      throw new IllegalStateException("the identity registry reads " + read + " identities of the " + keys.size() + " written");
    }
  }

  private Path writeConfig(int port) throws IOException {
    String conf = String.join("\n",
        "clearway.mqtt.bind-address = \"" + HOST + "\"",
        "clearway.mqtt.port = " + port,
        // The default (10000) is exactly 10,000; keep the limit above whatever N is asked for.
        "clearway.mqtt.max-connections = " + Math.max(10_000, options.warmup() + options.connections() + 1000),
        "clearway.tls.hostname = \"" + HOST + "\"",
        "clearway.hub.hostname = \"" + HUB + "\"",
        "pekko.remote.artery.canonical.hostname = \"" + HOST + "\"",
        "pekko.remote.artery.canonical.port = 0",
        "");
    Path file = dataDir.resolve("membench.conf");
    Files.writeString(file, conf);
    return file;
  }

  // --- connections ---------------------------------------------------------------------------

  /**
   * Connects the identities {@code from} to {@code to} (in creation order) to {@code port}; the
   * {@code i}-th binds source address {@code sourceAddress(addressBase + i)}.
   */
  private void connect(int from, int to, int port, MqttClientSslConfig ssl, MqttClientExecutorConfig executor,
                       int addressBase) throws InterruptedException {
    Semaphore inFlight = new Semaphore(options.concurrency());
    List<String> ids = new ArrayList<>(keys.keySet());
    List<CompletableFuture<?>> pending = new ArrayList<>();
    AtomicInteger done = new AtomicInteger();
    for (int i = from; i < to; i++) {
      String id = ids.get(i);
      // Every connect frees its slot within 60 s (orTimeout below), so this wait is a safety net.
      if (!inFlight.tryAcquire(90, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no connection slot freed within 90 s");
      }
      Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier(id)
          .transportConfig().serverHost(HOST).serverPort(port)
          .localAddress(sourceAddress(addressBase + i, options.perAddress())).sslConfig(ssl).applyTransportConfig()
          .executorConfig(executor)
          .buildAsync();
      clients.add(client);
      String token = SasToken.create(HUB + "/devices/" + id, keys.get(id), Instant.now().plus(Duration.ofHours(2)));
      CompletableFuture<?> f = client.connectWith().cleanSession(true).keepAlive(options.keepAlive())
          .simpleAuth().username(HUB + "/" + id + "/?api-version=" + LoadGenerator.API_VERSION)
          .password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
          .send()
          .orTimeout(60, TimeUnit.SECONDS)
          .whenComplete((ack, error) -> {
            if (error != null) {
              failures.add(id + ": " + error);
            }
            inFlight.release();
            int n = done.incrementAndGet();
            if (n % 1000 == 0) {
              System.out.println("  " + n + " of " + (to - from) + " connected or failed");
            }
          });
      pending.add(f);
    }
    try {
      CompletableFuture.allOf(pending.stream().map(f -> f.exceptionally(e -> null)).toArray(CompletableFuture[]::new))
          .get(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("connections from " + from + " to " + to + " did not finish within 5 min", e);
    }
  }

  private void disconnectAll() {
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    for (Mqtt3AsyncClient c : clients) {
      if (c.getState().isConnected()) {
        pending.add(c.disconnect().exceptionally(e -> null));
      }
    }
    clients.clear();
    try {
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("not every client disconnected within 60 s: " + e);
    }
  }

  // --- measurement ---------------------------------------------------------------------------

  private Snapshot settleAndMeasure(int connections) throws Exception {
    // Idle means idle: let handshakes' garbage, JIT and the sessions' start-up finish first.
    Thread.sleep(TimeUnit.SECONDS.toMillis(options.settleSeconds()));
    return mosquitto != null ? readMosquitto(connections) : measureGateway(connections);
  }

  private Snapshot measureGateway(int connections) throws Exception {
    gateway.jcmd("GC.run");
    long heapUsed = ProcessReadings.g1HeapUsedBytes(gateway.jcmd("GC.heap_info"));
    String status = Files.readString(Path.of("/proc", Long.toString(gateway.pid()), "status"));
    String histogramText = gateway.jcmd("GC.class_histogram");
    String nativeText = options.nmt() ? gateway.jcmd("VM.native_memory", "summary") : "";
    if (options.dumpDir().isPresent()) {
      // The raw output, for digging further than the report's top classes.
      Path dir = Files.createDirectories(options.dumpDir().get());
      Files.writeString(dir.resolve("class-histogram-" + connections + ".txt"), histogramText);
      if (options.nmt()) {
        Files.writeString(dir.resolve("native-memory-" + connections + ".txt"), nativeText);
      }
    }
    Map<String, ClassCount> histogram = ProcessReadings.classHistogram(histogramText);
    Map<String, Long> nativeKb = options.nmt() ? ProcessReadings.nativeMemoryCommittedKb(nativeText) : Map.of();
    Snapshot s = new Snapshot(connections, heapUsed, ProcessReadings.kilobytes(status, "VmRSS"),
        ProcessReadings.threads(status), histogram, nativeKb);
    System.out.printf(Locale.ROOT, "%5d connections: heap after GC %,d KB, RSS %,d KB, %d threads%n",
        connections, heapUsed / 1024, s.rssKb(), s.threads());
    return s;
  }

  private Snapshot readMosquitto(int connections) throws IOException {
    String status = Files.readString(Path.of("/proc", Long.toString(mosquitto.pid()), "status"));
    Snapshot s = new Snapshot(connections, 0, ProcessReadings.kilobytes(status, "VmRSS"), ProcessReadings.threads(status),
        Map.of(), Map.of());
    System.out.printf(Locale.ROOT, "%5d connections to mosquitto: RSS %,d KB%n", connections, s.rssKb());
    return s;
  }

  // --- report --------------------------------------------------------------------------------

  private String report(Snapshot idle, Snapshot base, Snapshot full, Duration baselineConnect, Duration restConnect,
                        long stillConnected, int gatewayFailures, String failureExample,
                        Optional<MosquittoReadings> peer) {
    int added = full.connections() - base.connections();
    double heapPerConn = ProcessReadings.perUnit(base.heapUsedBytes(), full.heapUsedBytes(), added);
    double rssPerConn = ProcessReadings.perUnit(base.rssKb() * 1024, full.rssKb() * 1024, added);
    int w = options.warmup();
    int total = w + options.connections();
    StringBuilder b = new StringBuilder();
    String what = options.connections() + " idle MQTT/TLS connections (" + options.tls() + ")";
    b.append(options.fragment().isPresent()
        ? "### Idle connections: " + what + " (" + Machine.now() + ")\n\n"
        : "## " + Machine.now() + " — " + what + "\n\n");
    b.append("| | |\n|---|---|\n");
    row(b, "machine", Machine.describe());
    row(b, "load average at start (/proc/loadavg)", loadAverage);
    row(b, "JDK", Machine.jdk());
    row(b, "command", "`" + ProcessHandle.current().info().commandLine().orElse("IdleConnectionMemory") + "`");
    row(b, "gateway JVM flags", "`" + String.join(" ", jvmFlags) + "`");
    row(b, "client", "HiveMQ MQTT client, MQTT 3.1.1, " + options.tls() + ", clean session, keep-alive "
        + options.keepAlive() + " s, " + options.concurrency() + " connects in flight, 2 shared Netty threads");
    row(b, "source addresses", sourceAddress(0, options.perAddress()) + " to " + sourceAddress(total - 1, options.perAddress())
        + ", at most " + String.format(Locale.ROOT, "%,d", options.perAddress()) + " connections each");
    row(b, "connections (N)", options.connections() + " (baseline " + options.baseline() + "; before them "
        + w + " warm-up connections of other identities, opened and closed)");
    row(b, "failures (warm-up included)", gatewayFailures + (gatewayFailures == 0 ? "" : ", e.g. " + failureExample));
    row(b, "still connected at the end", stillConnected + " of " + options.connections());
    row(b, "connect time", String.format(Locale.ROOT, "%.1f s for the baseline, %.1f s for the other %d (%.0f/s)",
        seconds(baselineConnect), seconds(restConnect), added, added / Math.max(seconds(restConnect), 0.001)));
    row(b, "heap after full GC", kb(idle.heapUsedBytes()) + " idle → " + kb(base.heapUsedBytes()) + " at "
        + base.connections() + " → " + kb(full.heapUsedBytes()) + " at " + full.connections());
    row(b, "RSS", String.format(Locale.ROOT, "%,d KB idle → %,d KB → %,d KB", idle.rssKb(), base.rssKb(), full.rssKb()));
    row(b, "threads", idle.threads() + " idle → " + base.threads() + " → " + full.threads());
    row(b, "**heap per connection**", String.format(Locale.ROOT, "**%,.0f B** (%.1f KB)", heapPerConn, heapPerConn / 1024));
    row(b, "**RSS per connection** (off-heap: the heap is pre-touched)",
        String.format(Locale.ROOT, "**%,.0f B** (%.1f KB)", rssPerConn, rssPerConn / 1024));
    row(b, "heap + RSS per connection", String.format(Locale.ROOT, "%.1f KB (target ≤ 16 KB: %s)",
        (heapPerConn + rssPerConn) / 1024, (heapPerConn + rssPerConn) / 1024 <= 16 ? "met" : "**not met**"));
    peer.ifPresent(p -> {
      int n = p.full().connections() - p.base().connections();
      double mqPerConn = ProcessReadings.perUnit(p.base().rssKb() * 1024, p.full().rssKb() * 1024, n);
      row(b, "Mosquitto, for comparison", p.version() + ", one TLS listener (openssl ECDSA P-256 certificate), the same "
          + "clients from source addresses after the gateway's; " + p.failures() + " failures, " + p.stillConnected()
          + " of " + options.connections() + " still connected; connect time " + String.format(Locale.ROOT, "%.1f s", seconds(p.connect())));
      row(b, "Mosquitto RSS", String.format(Locale.ROOT, "%,d KB idle → %,d KB → %,d KB", p.idle().rssKb(), p.base().rssKb(),
          p.full().rssKb()));
      row(b, "**Mosquitto RSS per connection**", String.format(Locale.ROOT, "**%,.0f B** (%.1f KB); Clearway / Mosquitto %.1f×",
          mqPerConn, mqPerConn / 1024, mqPerConn > 0 ? (heapPerConn + rssPerConn) / mqPerConn : Double.NaN));
    });
    b.append("\nLargest heap growth per connection, baseline → N (class histogram after full GC):\n\n");
    b.append("| class | instances/conn | bytes/conn |\n|---|---:|---:|\n");
    for (ClassDelta d : ProcessReadings.topGrowth(base.histogram(), full.histogram(), 15)) {
      b.append(String.format(Locale.ROOT, "| `%s` | %.2f | %,.0f |%n", d.className(), (double) d.instances() / added,
          (double) d.bytes() / added));
    }
    if (options.nmt()) {
      b.append("\nNative memory growth per connection, baseline → N (NMT committed):\n\n");
      b.append("| category | bytes/conn |\n|---|---:|\n");
      full.nativeKb().entrySet().stream()
          .map(e -> Map.entry(e.getKey(), (e.getValue() - base.nativeKb().getOrDefault(e.getKey(), 0L)) * 1024.0 / added))
          .filter(e -> Math.abs(e.getValue()) >= 1)
          .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
          .forEach(e -> b.append(String.format(Locale.ROOT, "| %s | %,.0f |%n", e.getKey(), e.getValue())));
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String key, String value) {
    b.append("| ").append(key).append(" | ").append(Markdown.cell(value)).append(" |\n");
  }

  private static String kb(long bytes) {
    return String.format(Locale.ROOT, "%,d KB", bytes / 1024);
  }

  /** Appends the report to --results as a dated section, or writes it alone to --fragment. */
  private void publish(String report) throws IOException {
    if (options.fragment().isPresent()) {
      Path file = options.fragment().get();
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, report);
      System.out.println("written to " + file);
      return;
    }
    Path file = options.results();
    if (!Files.exists(file)) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, "# Benchmark results\n\nAppended by the benchmarks in this folder; newest last.\n");
    }
    Files.writeString(file, "\n" + report, StandardOpenOption.APPEND);
    System.out.println("appended to " + file);
  }

  // --- cleanup -------------------------------------------------------------------------------

  /** Runs at JVM exit; after a normal run everything is already gone and this does nothing. */
  private void cleanUpAfterAbort() {
    if (gateway != null) {
      gateway.kill();
    }
    if (mosquitto != null) {
      mosquitto.stop();
    }
    if (dataDir != null && Files.exists(dataDir) && !options.keepData()) {
      try {
        EndToEnd.deleteRecursively(dataDir);
      } catch (IOException e) {
        System.err.println("could not delete " + dataDir + ": " + e.getMessage());
      }
    }
  }

  private static double secondsSince(Instant start) {
    return seconds(Duration.between(start, Instant.now()));
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }
}

package dev.clearway.benchmarks;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.benchmarks.ProcessReadings.ClassCount;
import dev.clearway.benchmarks.ProcessReadings.ClassDelta;
import dev.clearway.tls.SasToken;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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
import java.util.stream.Stream;
import javax.net.ssl.TrustManagerFactory;

/**
 * Memory per idle MQTT/TLS connection of the gateway, measured from outside the gateway process.
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
 * <p>The gateway heap is fixed ({@code -Xms = -Xmx}) and pre-touched ({@code -XX:+AlwaysPreTouch}):
 * its RSS then holds the whole heap from the start, and the RSS growth is what the connections cost
 * outside the Java heap (direct buffers, thread stacks, malloc). Without pre-touching, the RSS
 * growth would mostly be how much of the young generation G1 happened to touch. The total cost of a
 * connection is therefore heap/conn + RSS/conn.
 *
 * <p>Usage (see {@code benchmarks/idle-connections.sh}, which builds first):
 *
 * <pre>
 * java -Xmx3g -cp benchmarks/target/benchmarks.jar dev.clearway.benchmarks.IdleConnectionMemory \
 *     [--connections 5000] [--baseline 100] [--warmup 1000] [--concurrency 200] [--settle-seconds 15] \
 *     [--gateway-heap 1g] [--tls TLSv1.3] [--keep-alive 600] [--nmt] \
 *     [--gateway-jar actors/target/clearway.jar] [--results benchmarks/RESULTS.md] [--keep-data] \
 *     [--dump-dir DIR] [--max-minutes 25]
 * </pre>
 *
 * <p>{@code --nmt} starts the gateway with {@code -XX:NativeMemoryTracking=summary} and reports the
 * native memory growth per category; {@code --dump-dir} keeps the raw class histograms (and NMT
 * summaries) of every measurement there. Everything listens on 127.0.0.1 only; every process started is
 * stopped before the harness exits, and a watchdog ends the run after {@code --max-minutes}.
 */
public final class IdleConnectionMemory {
  private static final String HUB = "membench-hub.azure-devices.net";
  private static final String HOST = "127.0.0.1";
  private static final String API_VERSION = "2021-04-12";
  private static final String READY = "MQTT/TLS on ";
  private static final DateTimeFormatter HEADING =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  /** The command line; the defaults are those of the usage above. */
  record Options(int connections, int baseline, int concurrency, int settleSeconds, String gatewayHeap,
                 String tls, int keepAlive, boolean nmt, Path gatewayJar, Path results, boolean keepData,
                 int maxMinutes, Optional<Path> dumpDir, int warmup) {

    static Options parse(String[] args) {
      Map<String, String> values = new LinkedHashMap<>();
      List<String> flags = List.of("--nmt", "--keep-data");
      for (int i = 0; i < args.length; i++) {
        if (flags.contains(args[i])) {
          values.put(args[i], "true");
        } else if (args[i].startsWith("--") && i + 1 < args.length) {
          values.put(args[i], args[++i]);
        } else {
          throw new IllegalArgumentException("unexpected argument '" + args[i] + "' (see the Javadoc for usage)");
        }
      }
      Options o = new Options(
          Integer.parseInt(values.getOrDefault("--connections", "5000")),
          Integer.parseInt(values.getOrDefault("--baseline", "100")),
          Integer.parseInt(values.getOrDefault("--concurrency", "200")),
          Integer.parseInt(values.getOrDefault("--settle-seconds", "15")),
          values.getOrDefault("--gateway-heap", "1g"),
          values.getOrDefault("--tls", "TLSv1.3"),
          Integer.parseInt(values.getOrDefault("--keep-alive", "600")),
          Boolean.parseBoolean(values.getOrDefault("--nmt", "false")),
          Path.of(values.getOrDefault("--gateway-jar", "actors/target/clearway.jar")),
          Path.of(values.getOrDefault("--results", "benchmarks/RESULTS.md")),
          Boolean.parseBoolean(values.getOrDefault("--keep-data", "false")),
          Integer.parseInt(values.getOrDefault("--max-minutes", "25")),
          Optional.ofNullable(values.get("--dump-dir")).map(Path::of),
          Integer.parseInt(values.getOrDefault("--warmup", "1000")));
      List<String> known = List.of("--connections", "--baseline", "--concurrency", "--settle-seconds", "--gateway-heap",
          "--tls", "--keep-alive", "--nmt", "--gateway-jar", "--results", "--keep-data", "--max-minutes",
          "--dump-dir", "--warmup");
      values.keySet().stream().filter(k -> !known.contains(k)).findFirst().ifPresent(k -> {
        throw new IllegalArgumentException("unknown option " + k + "; known: " + known);
      });
      if (o.baseline < 1 || o.baseline >= o.connections) {
        throw new IllegalArgumentException("need 1 <= --baseline < --connections");
      }
      if (o.warmup < 0) {
        throw new IllegalArgumentException("--warmup must not be negative");
      }
      return o;
    }
  }

  /** What was read from the gateway at one moment. */
  record Snapshot(int connections, long heapUsedBytes, long rssKb, long threads,
                  Map<String, ClassCount> histogram, Map<String, Long> nativeKb) {}

  private final Options options;
  private final List<String> jvmFlags;
  private final Map<String, String> keys = new LinkedHashMap<>();
  private final List<Mqtt3AsyncClient> clients = new ArrayList<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private Path dataDir;
  private String loadAverage = "?";
  private int port;
  private Path gatewayLog;
  private Process gateway;

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
    return List.copyOf(flags);
  }

  /** Runs the benchmark; exit code 0 when every connection succeeded, 1 when any failed, 2 on bad arguments. */
  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("IdleConnectionMemory: " + e.getMessage());
      System.exit(2);
      return;
    }
    IdleConnectionMemory bench = new IdleConnectionMemory(options);
    // Ctrl-C or the watchdog must not leave a gateway JVM behind.
    Runtime.getRuntime().addShutdownHook(new Thread(bench::cleanUpAfterAbort, "membench-cleanup"));
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(TimeUnit.MINUTES.toMillis(options.maxMinutes()));
        System.err.println("IdleConnectionMemory: still running after " + options.maxMinutes() + " min, giving up");
        System.exit(3);
      } catch (InterruptedException e) {
        // finished in time
      }
    }, "membench-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    int code;
    try {
      code = bench.run();
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    }
    watchdog.interrupt();
    // The HiveMQ client's Netty threads are not all daemons; leave explicitly.
    System.exit(code);
  }

  private int run() throws Exception {
    dataDir = Files.createTempDirectory("clearway-membench-");
    try {
      // Connect times depend on what else runs on the machine; say how busy it was.
      loadAverage = Files.readString(Path.of("/proc/loadavg")).strip();
      Instant t0 = Instant.now();
      createIdentities();
      System.out.printf(Locale.ROOT, "%d identities in %.1f s%n", keys.size(), secondsSince(t0));
      port = freeLoopbackPort();
      Path config = writeConfig(port);
      startGateway(config);

      MqttClientSslConfig ssl = clientSsl(dataDir.resolve("certs").resolve("azure-iot-test-only.root.ca.cert.pem"));
      // One shared Netty event loop group of 2 threads for all 5,000 clients: the client must not
      // out-compete the gateway for the machine's cores.
      MqttClientExecutorConfig executor = MqttClientExecutorConfig.builder().nettyThreads(2).build();

      int w = options.warmup();
      if (w > 0) {
        // Warm-up with identities of their own: JIT-compiles the handshake and CONNECT paths and
        // loads their classes, which would otherwise count as growth between baseline and N. Their
        // (idle, empty) device sessions stay, equally in both measurements.
        connect(0, w, ssl, executor);
        disconnectAll();
        System.out.println("  warm-up: " + w + " connected and disconnected");
      }
      Snapshot idle = settleAndMeasure(0);
      Instant c0 = Instant.now();
      connect(w, w + options.baseline(), ssl, executor);
      Duration baselineConnect = Duration.between(c0, Instant.now());
      Snapshot base = settleAndMeasure(options.baseline());
      Instant c1 = Instant.now();
      connect(w + options.baseline(), w + options.connections(), ssl, executor);
      Duration restConnect = Duration.between(c1, Instant.now());
      Snapshot full = settleAndMeasure(options.connections());
      long stillConnected = clients.stream().filter(c -> c.getState().isConnected()).count();

      String report = report(idle, base, full, baselineConnect, restConnect, stillConnected);
      System.out.println();
      System.out.println(report);
      appendResults(report);
      boolean allUp = failures.isEmpty() && stillConnected == clients.size(); // before disconnectAll clears the list
      disconnectAll();
      return allUp ? 0 : 1;
    } finally {
      disconnectAll();
      stopGateway();
      if (!options.keepData()) {
        deleteRecursively(dataDir);
      } else {
        System.out.println("data dir kept: " + dataDir);
      }
    }
  }

  // --- preparation ---------------------------------------------------------------------------

  private void createIdentities() throws IdentityRegistry.RegistryException {
    IdentityRegistry registry = IdentityRegistry.open(dataDir, Duration.ofSeconds(2), Clock.systemUTC());
    for (int i = 0; i < options.warmup() + options.connections(); i++) {
      String id = i < options.warmup()
          ? String.format(Locale.ROOT, "membench-warmup-%05d", i)
          : String.format(Locale.ROOT, "membench-%05d", i - options.warmup());
      Credentials.SymmetricKey key = Credentials.SymmetricKey.generate();
      registry.add(new Identity(id, Optional.empty(), key));
      keys.put(id, key.primaryKey());
    }
  }

  private static int freeLoopbackPort() throws IOException {
    // Small race (another process may take it before the gateway binds); the gateway then fails
    // to start and the harness says so.
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  private Path writeConfig(int port) throws IOException {
    String conf = String.join("\n",
        "clearway.mqtt.bind-address = \"" + HOST + "\"",
        "clearway.mqtt.port = " + port,
        // The default (10000) would do for 5,000; keep the limit above whatever N is asked for.
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

  private void startGateway(Path config) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmFlags);
    command.addAll(List.of("-jar", options.gatewayJar().toAbsolutePath().toString(),
        "run", "--config", config.toString(), "--data-dir", dataDir.toString()));
    gatewayLog = dataDir.resolve("gateway.log");
    gateway = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(gatewayLog.toFile()).start();
    System.out.println("gateway pid " + gateway.pid() + ": " + String.join(" ", command));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!gateway.isAlive()) {
        throw new IllegalStateException("the gateway exited with " + gateway.exitValue() + ":\n" + Files.readString(gatewayLog));
      }
      if (Files.readString(gatewayLog).contains(READY)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the gateway did not log '" + READY + "' within 120 s:\n" + Files.readString(gatewayLog));
  }

  private MqttClientSslConfig clientSsl(Path rootPem) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(rootPem)) {
      trust.setCertificateEntry("root", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return MqttClientSslConfig.builder().trustManagerFactory(tmf).protocols(List.of(options.tls()))
        .handshakeTimeout(30, TimeUnit.SECONDS).build();
  }

  // --- connections ---------------------------------------------------------------------------

  private void connect(int from, int to, MqttClientSslConfig ssl, MqttClientExecutorConfig executor) throws InterruptedException {
    Semaphore inFlight = new Semaphore(options.concurrency());
    List<String> ids = new ArrayList<>(keys.keySet()).subList(from, to);
    List<CompletableFuture<?>> pending = new ArrayList<>();
    AtomicInteger done = new AtomicInteger();
    for (String id : ids) {
      // Every connect frees its slot within 60 s (orTimeout below), so this wait is a safety net.
      if (!inFlight.tryAcquire(90, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no connection slot freed within 90 s");
      }
      Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier(id)
          .serverHost(HOST).serverPort(port)
          .sslConfig(ssl).executorConfig(executor)
          .buildAsync();
      clients.add(client);
      String token = SasToken.create(HUB + "/devices/" + id, keys.get(id), Instant.now().plus(Duration.ofHours(2)));
      CompletableFuture<?> f = client.connectWith().cleanSession(true).keepAlive(options.keepAlive())
          .simpleAuth().username(HUB + "/" + id + "/?api-version=" + API_VERSION)
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
              System.out.println("  " + n + " of " + ids.size() + " connected or failed");
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
    return measure(connections);
  }

  private Snapshot measure(int connections) throws Exception {
    jcmd("GC.run");
    long heapUsed = ProcessReadings.g1HeapUsedBytes(jcmd("GC.heap_info"));
    String status = Files.readString(Path.of("/proc", Long.toString(gateway.pid()), "status"));
    String histogramText = jcmd("GC.class_histogram");
    String nativeText = options.nmt() ? jcmd("VM.native_memory", "summary") : "";
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

  private String jcmd(String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    cmd.add(Long.toString(gateway.pid()));
    cmd.addAll(List.of(command));
    Path out = Files.createTempFile(dataDir, "jcmd-", ".txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("jcmd " + String.join(" ", command) + " did not answer within 120 s");
      }
      String text = Files.readString(out);
      if (p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed:\n" + text);
      }
      return text;
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }

  // --- report --------------------------------------------------------------------------------

  private String report(Snapshot idle, Snapshot base, Snapshot full, Duration baselineConnect, Duration restConnect,
                        long stillConnected) throws IOException {
    int added = full.connections() - base.connections();
    double heapPerConn = ProcessReadings.perUnit(base.heapUsedBytes(), full.heapUsedBytes(), added);
    double rssPerConn = ProcessReadings.perUnit(base.rssKb() * 1024, full.rssKb() * 1024, added);
    String meminfo = Files.readString(Path.of("/proc/meminfo"));
    StringBuilder b = new StringBuilder();
    b.append("## ").append(HEADING.format(Instant.now())).append(" — ").append(options.connections())
        .append(" idle MQTT/TLS connections (").append(options.tls()).append(")\n\n");
    b.append("| | |\n|---|---|\n");
    row(b, "machine", Runtime.getRuntime().availableProcessors() + " cores, "
        + ProcessReadings.kilobytes(meminfo, "MemTotal") / 1024 / 1024 + " GB RAM, " + cpuModel());
    row(b, "load average at start (/proc/loadavg)", loadAverage);
    row(b, "JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    row(b, "gateway JVM flags", "`" + String.join(" ", jvmFlags) + "`");
    row(b, "client", "HiveMQ MQTT client, MQTT 3.1.1, " + options.tls() + ", clean session, keep-alive "
        + options.keepAlive() + " s, " + options.concurrency() + " connects in flight, 2 shared Netty threads");
    row(b, "connections (N)", options.connections() + " (baseline " + options.baseline() + "; before them "
        + options.warmup() + " warm-up connections of other identities, opened and closed)");
    row(b, "failures (warm-up included)", failures.size() + (failures.isEmpty() ? "" : ", e.g. " + failures.peek().replace("|", "/")));
    row(b, "still connected at the end", stillConnected + " of " + clients.size());
    row(b, "connect time", String.format(Locale.ROOT, "%.1f s for the baseline, %.1f s for the other %d (%.0f/s)",
        seconds(baselineConnect), seconds(restConnect), added, added / Math.max(seconds(restConnect), 0.001)));
    row(b, "heap after full GC", kb(idle.heapUsedBytes()) + " idle → " + kb(base.heapUsedBytes()) + " at "
        + base.connections() + " → " + kb(full.heapUsedBytes()) + " at " + full.connections());
    row(b, "RSS", String.format(Locale.ROOT, "%,d KB idle → %,d KB → %,d KB", idle.rssKb(), base.rssKb(), full.rssKb()));
    row(b, "threads", idle.threads() + " idle → " + base.threads() + " → " + full.threads());
    row(b, "**heap per connection**", String.format(Locale.ROOT, "**%,.0f B** (%.1f KB)", heapPerConn, heapPerConn / 1024));
    row(b, "**RSS per connection** (off-heap: the heap is pre-touched)",
        String.format(Locale.ROOT, "**%,.0f B** (%.1f KB)", rssPerConn, rssPerConn / 1024));
    row(b, "heap + RSS per connection", String.format(Locale.ROOT, "%.1f KB (target ≤ 16 KB)", (heapPerConn + rssPerConn) / 1024));
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
    b.append("| ").append(key).append(" | ").append(value).append(" |\n");
  }

  private static String kb(long bytes) {
    return String.format(Locale.ROOT, "%,d KB", bytes / 1024);
  }

  private static String cpuModel() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private void appendResults(String report) throws IOException {
    Path file = options.results();
    if (!Files.exists(file)) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, "# Benchmark results\n\nAppended by the benchmarks in this folder; newest last.\n");
    }
    Files.writeString(file, "\n" + report, StandardOpenOption.APPEND);
    System.out.println("appended to " + file);
  }

  // --- cleanup -------------------------------------------------------------------------------

  private void stopGateway() {
    if (gateway == null) {
      return;
    }
    gateway.destroy(); // SIGTERM: the gateway shuts down gracefully
    try {
      if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
        System.err.println("the gateway did not stop within 30 s of SIGTERM; killing it");
        gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      gateway.destroyForcibly();
    }
  }

  /** Runs at JVM exit; after a normal run everything is already gone and this does nothing. */
  private void cleanUpAfterAbort() {
    if (gateway != null && gateway.isAlive()) {
      gateway.destroyForcibly();
      try {
        gateway.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (dataDir != null && Files.exists(dataDir) && !options.keepData()) {
      deleteRecursively(dataDir);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }

  private static double secondsSince(Instant start) {
    return seconds(Duration.between(start, Instant.now()));
  }

  private static double seconds(Duration d) {
    return d.toMillis() / 1000.0;
  }
}

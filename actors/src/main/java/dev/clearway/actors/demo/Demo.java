package dev.clearway.actors.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.clearway.actors.Gateway;
import dev.clearway.actors.config.GatewayConfig;
import dev.clearway.actors.identity.Authenticator;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.StoredRef;
import dev.clearway.tls.CertifiedKey;
import dev.clearway.tls.ClientTls;
import dev.clearway.tls.DemoPki;
import dev.clearway.tls.GatewayTls;
import dev.clearway.tls.PkiException;
import dev.clearway.tls.ServerTls;
import dev.clearway.tls.TlsSettings;
import dev.clearway.tls.TlsStartupException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code clearway demo}: the gateway at work in one command. In this process it starts
 *
 * <ul>
 *   <li>a hub stand-in ({@link DemoHub}) on a free loopback port, with a certificate from the
 *       demo's quickstart PKI;
 *   <li>the gateway ({@link Gateway#start}) with that PKI, its own data directory, MQTT/TLS on a free
 *       loopback port, the route {@value #ROUTE}, and its uplink pointed at the hub;
 *   <li>N simulated devices ({@link DeviceFleet}) registered as SAS devices, publishing JSON
 *       readings at a fixed total rate;
 * </ul>
 *
 * prints one line a second from the gateway's own counters and store and the hub's latency
 * histogram, stops the devices after the duration (or on Ctrl-C), waits for the gateway to forward
 * what it stored, and sums up: what the devices sent, what the gateway acknowledged, what the route
 * dropped and why, what reached the hub, and whether any acknowledged message was lost
 * ({@link Ledger}).
 */
public final class Demo {
  private static final Logger log = LoggerFactory.getLogger(Demo.class);
  /** The IoT Hub host name the devices sign their tokens for and the hub stand-in answers to. */
  static final String HUB_HOST = "clearway-demo-hub.azure-devices.net";
  /** The WHERE clause of the demo's route. */
  static final String CONDITION = "$body.temperature > 25";
  /** The demo's one route: readings above 25 °C go to the hub; the rest match no route and are dropped. */
  public static final String ROUTE = "FROM /messages/* WHERE " + CONDITION + " INTO $upstream";
  private static final String LOOPBACK = "127.0.0.1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /**
   * What to run.
   *
   * @param devices how many simulated devices
   * @param rate messages a second, all devices together
   * @param duration how long the devices publish
   * @param dataDir where the gateway keeps its state; empty for a temporary directory, removed at the end
   */
  public record Options(int devices, int rate, Duration duration, Optional<Path> dataDir) {}

  private final Options options;
  private final PrintWriter out;
  private final AtomicBoolean stopRequested = new AtomicBoolean();
  private final String run = HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
  private final Recorder latencies = new Recorder(3); // microseconds, device publish to hub receipt
  private final AtomicLong fromEarlierRuns = new AtomicLong();
  private Ledger ledger;
  private volatile boolean started; // the devices began to publish

  private Demo(Options options, PrintWriter out) {
    this.options = options;
    this.out = out;
  }

  /**
   * Runs the demo to its end (or a stop signal: SIGINT, SIGTERM) and prints its report to {@code out}.
   *
   * @return 0 when every message the gateway acknowledged was dropped by the route or reached the
   *     hub; 1 when one was lost, or the demo could not run (the reason is printed to {@code err})
   */
  public static int run(Options options, PrintWriter out, PrintWriter err) {
    Config base;
    DemoSettings settings;
    try {
      base = configuration();
      settings = DemoSettings.fromConfig(base);
    } catch (ConfigException | IllegalArgumentException e) {
      err.println("clearway demo: " + e.getMessage()); // a -D override that cannot be used
      return 2;
    }
    try {
      return new Demo(options, out).run(base, settings);
    } catch (DemoException | RuntimeException e) {
      err.println("clearway demo: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    } catch (IOException e) {
      err.println("clearway demo: " + e);
      return 1;
    }
  }

  /** The embedded defaults (never the operator's conf/application.conf) with the demo's gateway settings. */
  private static Config configuration() {
    return GatewayConfig.load(ConfigFactory.parseMap(Map.of(
            "clearway.tls.hostname", LOOPBACK,
            "clearway.hub.hostname", HUB_HOST,
            "clearway.mqtt.bind-address", LOOPBACK,
            "clearway.mqtt.port", 0,
            // Metrics and health on a free loopback port, printed at the start, for a look during the run.
            "clearway.metrics.host", LOOPBACK,
            "clearway.metrics.port", 0,
            // A cluster of one on a free port: never in the way of a gateway running on this machine.
            "pekko.remote.artery.canonical.hostname", LOOPBACK,
            "pekko.remote.artery.canonical.port", 0))
        .withValue("clearway.routes", ConfigValueFactory.fromMap(Map.of("demo", ROUTE))));
  }

  private int run(Config base, DemoSettings settings) throws DemoException, IOException {
    boolean temporary = options.dataDir().isEmpty();
    Path dataDir = temporary ? Files.createTempDirectory("clearway-demo-") : Files.createDirectories(options.dataDir().get());

    // Ctrl-C (SIGINT) or SIGTERM: stop sending, let the gateway forward what it stored, print the
    // summary, and exit with its verdict rather than the signal's status.
    AtomicInteger exitCode = new AtomicInteger(1);
    CountDownLatch finished = new CountDownLatch(1);
    Duration stopGrace = settings.drainTimeout().plusMinutes(2); // the drain, then closing everything
    Thread onSignal = new Thread(() -> {
      stopRequested.set(true);
      try {
        finished.await(stopGrace.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.flush();
      Runtime.getRuntime().halt(exitCode.get());
    }, "clearway-demo-stop");
    Runtime.getRuntime().addShutdownHook(onSignal);
    try {
      exitCode.set(run(base, settings, dataDir));
      return exitCode.get();
    } catch (DemoException | RuntimeException e) {
      if (stopRequested.get() && !started) {
        // A signal while starting: the JVM is stopping, and what was starting fails with it.
        throw new DemoException("stopped by a signal before the devices started; nothing was sent", e);
      }
      throw e;
    } finally {
      if (temporary) {
        deleteTree(dataDir);
      }
      out.flush();
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(onSignal);
      } catch (IllegalStateException e) {
        // The JVM is stopping (a signal): the hook exits with our code.
      }
    }
  }

  private int run(Config base, DemoSettings settings, Path dataDir) throws DemoException {
    Clock clock = Clock.systemUTC();
    TlsSettings tls = TlsSettings.fromConfig(base);
    IdentityRegistry registry;
    List<DeviceFleet.DeviceKey> keys;
    CertifiedKey hubCertificate;
    try {
      registry = IdentityRegistry.open(dataDir, base.getDuration("clearway.identities.reload-check-interval"), clock);
      keys = register(registry);
      // The gateway would create the quickstart PKI itself; the hub's certificate comes from the same root.
      GatewayTls.ensureQuickstartPki(tls, dataDir, clock);
      hubCertificate = DemoPki.issueServer(dataDir, List.of(LOOPBACK, "localhost"), Duration.ofDays(1), clock);
    } catch (IdentityRegistry.RegistryException | TlsStartupException | PkiException e) {
      throw new DemoException(e.getMessage(), e);
    }
    Path root = DemoPki.rootCaCert(dataDir);
    ledger = new Ledger(keys.stream().map(DeviceFleet.DeviceKey::id).toList(), settings.maxTrackedMessages());

    Deque<Running> running = new ArrayDeque<>();
    Gateway gateway;
    DemoHub hub;
    DeviceFleet fleet;
    Histogram latency = new Histogram(3); // microseconds, the whole run
    Result result;
    try {
      // The hub is another party: an actor system of its own, not a cluster member.
      ActorSystem<Void> hubSystem = ActorSystem.create(Behaviors.empty(), "clearway-demo-hub",
          ConfigFactory.parseMap(Map.of("pekko.actor.provider", "local")).withFallback(base));
      running.push(new Running("hub's actor system", () -> {
        hubSystem.terminate();
        hubSystem.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }));
      // As IoT Hub does, the hub drops a connection silent for 1.5 times its keep-alive.
      Duration idle = base.getDuration("clearway.upstream.keep-alive").multipliedBy(3).dividedBy(2);
      hub = DemoHub.start(hubSystem, LOOPBACK, ServerTls.fixed(hubCertificate, tls.protocols()), HUB_HOST,
          new Authenticator(registry, Set.of(HUB_HOST), List::of, clock), MqttSettings.create(base), settings.hubMaxConnections(), idle,
          this::atHub);
      running.push(new Running("hub", hub));

      Config config = ConfigFactory.parseMap(Map.of(
          "clearway.upstream.address", LOOPBACK + ":" + hub.address().getPort(),
          "clearway.upstream.trust-bundle-cert", root.toAbsolutePath().toString())).withFallback(base);
      try {
        gateway = Gateway.start(config, dataDir, this::routed, Optional.empty());
      } catch (Gateway.StartException e) {
        throw new DemoException("the gateway cannot start: " + e.getMessage(), e);
      }
      running.push(new Running("gateway", gateway));

      printIntroduction(gateway, hub, root);
      Duration tokenLifetime = options.duration().plus(settings.drainTimeout()).plusHours(1);
      fleet = DeviceFleet.connect(keys, gateway.mqttAddress(), ClientTls.trustManagerFactory(Optional.of(root), "the quickstart root CA"),
          HUB_HOST, tokenLifetime, settings.connectTimeout(), settings.maxInFlightPerDevice(), ledger, run);
      running.push(new Running("devices", fleet));
      result = publishAndDrain(fleet, gateway, hub, settings, latency);
    } finally {
      closeAll(running);
    }
    return summarise(result, fleet, gateway, hub, latency);
  }

  /** Each device's identity, registered (or, in a kept data directory, found) with a symmetric key. */
  private List<DeviceFleet.DeviceKey> register(IdentityRegistry registry) throws IdentityRegistry.RegistryException, DemoException {
    int width = Math.max(2, Integer.toString(options.devices()).length());
    List<DeviceFleet.DeviceKey> keys = new ArrayList<>();
    for (int i = 1; i <= options.devices(); i++) {
      String id = String.format(Locale.ROOT, "demo-device-%0" + width + "d", i);
      Optional<Identity> known = registry.find(id);
      Credentials credentials = known.isPresent() ? known.get().credentials()
          : registry.add(new Identity(id, Optional.empty(), Credentials.SymmetricKey.generate())).credentials();
      if (!(credentials instanceof Credentials.SymmetricKey k)) {
        throw new DemoException("'" + id + "' is registered in " + registry.file() + " without a symmetric key; use another --data-dir");
      }
      keys.add(new DeviceFleet.DeviceKey(id, k.primaryKey()));
    }
    return keys;
  }

  private void printIntroduction(Gateway gateway, DemoHub hub, Path root) {
    out.printf(Locale.ROOT, "Clearway demo: %d devices publish %d msg/s in total for %s through the gateway to a hub stand-in.%n",
        options.devices(), options.rate(), seconds(options.duration()));
    out.printf(Locale.ROOT, "  gateway  MQTT/TLS on %s; devices trust %s%n", address(gateway.mqttAddress()), root.toAbsolutePath());
    out.printf(Locale.ROOT, "  hub      %s, standing in for %s: TLS, SAS tokens checked, telemetry acknowledged%n", address(hub.address()), HUB_HOST);
    out.printf(Locale.ROOT, "  route    %s%n", ROUTE);
    gateway.metricsAddress().ifPresent(m ->
        out.printf(Locale.ROOT, "  metrics  http://%s/metrics (Prometheus), /health/ready%n", address(m)));
    out.printf(Locale.ROOT, "  devices  %d HiveMQ MQTT clients, TLS, SAS tokens signed for the hub, QoS 1; readings of 15.0-35.0 °C%n",
        options.devices());
    out.println("  Ctrl-C stops early; the summary follows either way.");
    out.println();
    out.flush();
  }

  // --- running ------------------------------------------------------------------------------------

  /** How the run went: how long the devices published, and whether everything was forwarded in time. */
  private record Result(Duration sending, boolean stoppedBySignal, boolean drained) {}

  /** The counters one live line is a difference of. */
  private record Sample(long nanos, long received, long forwarded) {}

  private Result publishAndDrain(DeviceFleet fleet, Gateway gateway, DemoHub hub, DemoSettings settings, Histogram latency) {
    GatewayCounters counters = gateway.counters();
    out.println("   time  received/s   stored  forwarded/s  queue  p99 ms");
    long start = System.nanoTime();
    long stopAt = start + options.duration().toNanos();
    long nextLine = start + SECOND;
    Sample previous = new Sample(start, counters.get(GatewayCounters.MESSAGES_RECEIVED), counters.get(GatewayCounters.MESSAGES_SENT));
    Histogram interval = null;
    long stoppedAt = 0;
    started = true;
    long messages = options.rate() * options.duration().toMillis() / 1000;
    fleet.start(options.rate(), messages);
    while (true) {
      long now = System.nanoTime();
      if (now >= nextLine) {
        Sample sample = new Sample(now, counters.get(GatewayCounters.MESSAGES_RECEIVED), counters.get(GatewayCounters.MESSAGES_SENT));
        interval = latencies.getIntervalHistogram(interval);
        latency.add(interval);
        printLine((nextLine - start) / SECOND, previous, sample, gateway.store(), interval);
        previous = sample;
        nextLine += SECOND;
      }
      if (stoppedAt == 0 && ((now >= stopAt && fleet.scheduled() >= messages) || stopRequested.get())) {
        fleet.stopSending();
        stoppedAt = System.nanoTime();
        out.printf(Locale.ROOT, "  %s after %s; waiting for the gateway to forward what it stored%n",
            stopRequested.get() ? "stop signal" : "devices stopped", seconds(Duration.ofNanos(stoppedAt - start)));
        out.flush();
      }
      if (stoppedAt != 0) {
        Duration draining = Duration.ofNanos(System.nanoTime() - stoppedAt);
        if (drained(gateway, hub)) {
          out.printf(Locale.ROOT, "  everything forwarded %.1f s after the devices stopped%n", draining.toMillis() / 1000.0);
          latency.add(latencies.getIntervalHistogram(interval));
          return new Result(Duration.ofNanos(stoppedAt - start), stopRequested.get(), true);
        }
        if (draining.compareTo(settings.drainTimeout()) >= 0) {
          out.printf(Locale.ROOT, "  gave up waiting after %s (clearway.demo.drain-timeout)%n", seconds(draining));
          latency.add(latencies.getIntervalHistogram(interval));
          return new Result(Duration.ofNanos(stoppedAt - start), stopRequested.get(), false);
        }
      }
      // Until the stop time, wake for the next line or the stop; after it, look again soon.
      boolean beforeStop = stoppedAt == 0 && now < stopAt;
      long wake = beforeStop ? Math.min(nextLine, stopAt) : nextLine;
      sleep(Math.min(Math.max(0, wake - System.nanoTime()), TimeUnit.MILLISECONDS.toNanos(beforeStop ? 100 : 5)));
    }
  }

  /** Every message settled, the $upstream queue empty, and the hub's acknowledgements counted by the gateway. */
  private boolean drained(Gateway gateway, DemoHub hub) {
    return ledger.allSettled() && upstreamQueue(gateway.store()) == 0
        && gateway.counters().get(GatewayCounters.MESSAGES_SENT) >= hub.telemetryReceived();
  }

  private void printLine(long second, Sample previous, Sample now, MessageStore store, Histogram interval) {
    double elapsed = (now.nanos() - previous.nanos()) / 1e9;
    String p99 = interval.getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", interval.getValueAtPercentile(99) / 1000.0);
    out.printf(Locale.ROOT, "%6ds  %10.0f  %7d  %11.0f  %5d  %6s%n", second, (now.received() - previous.received()) / elapsed,
        store.appendedMessages(), (now.forwarded() - previous.forwarded()) / elapsed, upstreamQueue(store), p99);
    out.flush();
  }

  private static long upstreamQueue(MessageStore store) {
    return store.queueLengths().entrySet().stream().filter(e -> e.getKey().endpoint() instanceof Endpoint.Upstream)
        .mapToLong(Map.Entry::getValue).sum();
  }

  /** The gateway's router handled a message: note this run's readings that no route matched. */
  private void routed(Message message, StoredRef ref) {
    if (!ref.stored()) {
      message.jsonBody().flatMap(Reading::from).filter(r -> r.run().equals(run))
          .ifPresent(r -> ledger.droppedByRoute(message.systemProperty(SystemProperty.CONNECTION_DEVICE_ID), r.seq()));
    }
  }

  /** The hub received telemetry: note it, and its latency on its first arrival. */
  private void atHub(String identity, ByteString body) {
    long now = System.nanoTime();
    Optional<Reading> reading;
    try {
      reading = Reading.from(JSON.readTree(body.toArrayUnsafe()));
    } catch (IOException e) {
      reading = Optional.empty();
    }
    if (reading.isEmpty() || !reading.get().run().equals(run)) {
      fromEarlierRuns.incrementAndGet(); // left in a kept data directory's store by an earlier run
      return;
    }
    if (ledger.receivedAtHub(identity, reading.get().seq())) {
      latencies.recordValue(Math.max(1, (now - reading.get().sentNanos()) / 1000));
    }
  }

  // --- the summary --------------------------------------------------------------------------------

  private int summarise(Result result, DeviceFleet fleet, Gateway gateway, DemoHub hub, Histogram latency) {
    Ledger.Totals t = ledger.totals();
    GatewayCounters c = gateway.counters();
    out.println();
    out.printf(Locale.ROOT, "Summary: %d devices sent for %s at %d msg/s%s%n", options.devices(), seconds(result.sending()), options.rate(),
        result.stoppedBySignal() ? " (stopped by a signal)" : "");
    row("sent by the devices", t.sent(), "held back " + fleet.heldBack() + ", without a PUBACK " + (t.failed() + t.awaitingAck())
        + (fleet.heldBack() > 0 ? " (held back: due while the device waited for too many PUBACKs, clearway.demo.max-in-flight-per-device)" : ""));
    row("acknowledged by the gateway", t.acked(), "PUBACK after the message was stored or dropped by the route");
    row("received by the gateway", c.get(GatewayCounters.MESSAGES_RECEIVED), "");
    row("dropped by the route", c.get(GatewayCounters.MESSAGES_DROPPED, "no_route"),
        "no_route: \"" + CONDITION + "\" was not true");
    c.snapshot().forEach((name, n) -> {
      if (name.startsWith(GatewayCounters.MESSAGES_DROPPED + "{") && !name.endsWith("{no_route}")) {
        row("dropped", n, name.substring(name.indexOf('{') + 1, name.length() - 1));
      }
    });
    row("stored for $upstream", gateway.store().appendedMessages(), "");
    row("forwarded to the hub", c.get(GatewayCounters.MESSAGES_SENT), "each confirmed by the hub's PUBACK");
    row("received at the hub", hub.telemetryReceived(), "duplicates " + t.duplicatesAtHub()
        + (fromEarlierRuns.get() > 0 ? ", from an earlier run " + fromEarlierRuns.get() : "")
        + (hub.refusals() > 0 ? ", connections refused " + hub.refusals() : ""));
    row("lost", t.lost(), "acknowledged " + t.acked() + " = dropped by the route " + t.dropped() + " + received at the hub "
        + t.atHub() + (t.lost() > 0 ? " + lost " + t.lost() : ""));
    out.printf(Locale.ROOT, "  %-28s %s%n", "latency, device to hub", latency.getTotalCount() == 0 ? "no messages reached the hub"
        : String.format(Locale.ROOT, "p50 %s, p90 %s, p99 %s, p99.9 %s, max %s (%d messages)", ms(latency.getValueAtPercentile(50)),
            ms(latency.getValueAtPercentile(90)), ms(latency.getValueAtPercentile(99)), ms(latency.getValueAtPercentile(99.9)),
            ms(latency.getMaxValue()), latency.getTotalCount()));
    options.dataDir().ifPresent(d -> out.printf(Locale.ROOT, "  %-28s %s%n", "data kept in", d.toAbsolutePath()));
    if (t.lost() > 0) {
      out.printf(Locale.ROOT, "LOST: %d acknowledged messages were neither dropped by the route nor received at the hub%s.%n", t.lost(),
          result.drained() ? "" : " before the demo gave up waiting");
      return 1;
    }
    out.println("Nothing the gateway acknowledged was lost.");
    return 0;
  }

  private void row(String what, long n, String note) {
    out.printf(Locale.ROOT, "  %-28s %7d%s%n", what, n, note.isEmpty() ? "" : "   " + note);
  }

  private static String ms(long micros) {
    return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }

  private static String seconds(Duration d) {
    long millis = d.toMillis();
    return millis % 1000 == 0 ? (millis / 1000) + " s" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  private static String address(java.net.InetSocketAddress a) {
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  private static void sleep(long nanos) {
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Something the demo started, to close at the end. */
  private record Running(String name, AutoCloseable resource) {}

  /** Closes in reverse order of start; a failure to close one does not keep the others open. */
  private static void closeAll(Deque<Running> running) {
    while (!running.isEmpty()) {
      Running r = running.pop();
      try {
        r.resource().close();
      } catch (Exception e) {
        // The others still close, and the summary still tells what happened.
        log.warn("Closing the demo's {} failed: {}", r.name(), e.toString());
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // A temporary directory left behind is no reason to fail the demo.
    }
  }
}

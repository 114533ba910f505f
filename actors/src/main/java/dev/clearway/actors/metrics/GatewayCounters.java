package dev.clearway.actors.metrics;

import dev.clearway.actors.upstream.UpstreamStatus;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The gateway's meters, on a Micrometer registry: IoT Edge's hub metrics ({@code edgehub_*}, with
 * its names, types and labels where they apply) and Clearway's own ({@code clearway_*}). The
 * metrics endpoint serves the registry in Prometheus' text format.
 *
 * <p>Hot paths hold their meters: a connection asks for its identity's {@link ConnectionMeters}
 * once, an uplink link for its {@link SendMeters}, and then only bumps them. Rare events (refusals,
 * twin operations, route reloads) register-or-find their meter as they happen.
 *
 * <p>Per-identity labels ({@code id}, {@code from}, {@code to}) and route outputs and inputs are
 * bounded ({@link LabelFolding}); so is every other label, whose values come from code.
 *
 * <p>The names below (e.g. {@link #CONNECT_FAILED}) and {@link #get(String, String)} read the
 * counters back, summed over the labels they do not name; tests and the shutdown log use them.
 */
public final class GatewayCounters implements AutoCloseable {
  /** Counter names for {@link #get}; label values in brackets are the counter's reason or kind. */
  public static final String CONNECT_SUCCESS = "client_connect_success";
  public static final String CONNECT_FAILED = "client_connect_failed";
  public static final String DISCONNECT = "client_disconnect";
  public static final String PROTOCOL_ERROR = "protocol_error";
  public static final String UNAUTHORIZED_TOPIC = "unauthorized_topic";
  public static final String MESSAGES_RECEIVED = "messages_received";
  public static final String MESSAGES_DROPPED = "messages_dropped";
  public static final String ROUTE_RELOAD = "route_reload";
  public static final String CONNECTIONS_REFUSED_AT_LIMIT = "connections_refused_at_limit";
  /** Messages the hub (or a module) confirmed. */
  public static final String MESSAGES_SENT = "messages_sent";
  /** Times the uplink went from online to offline. */
  public static final String OFFLINE = "offline_count";
  /** Uplink connection attempts that failed, by reason. */
  public static final String UPSTREAM_CONNECT_FAILED = "upstream_connect_failed";

  /** The reasons of {@link #UPSTREAM_CONNECT_FAILED}: the hub refused the CONNECT, could not be reached (or dropped the connection), other. */
  public static final String UPSTREAM_REFUSED = "refused";
  public static final String UPSTREAM_UNREACHABLE = "unreachable";
  public static final String UPSTREAM_OTHER = "other";
  /** The operations of {@link #UNAUTHORIZED_TOPIC}. */
  public static final String TOPIC_PUBLISH = "publish";
  public static final String TOPIC_SUBSCRIBE = "subscribe";

  // Label names, as IoT Edge's hub writes them.
  static final String ID = "id";
  static final String REASON = "reason";
  static final String FROM = "from";
  static final String TO = "to";
  static final String FROM_ROUTE_OUTPUT = "from_route_output";
  static final String TO_ROUTE_INPUT = "to_route_input";
  static final String PRIORITY = "priority";
  static final String ROUTE_OUTPUT = "route_output";

  /** The {@code to} of messages sent to the hub, the {@code source}/{@code target} of twin traffic with it, the {@code from} of its method calls. */
  public static final String UPSTREAM = "upstream";
  /** The {@code source}/{@code target} of twin operations the gateway answers itself. */
  public static final String EDGE_HUB = "edge_hub";
  /** The {@code id} of the gateway's own series (offline count and duration), as IoT Edge's hub labels its own. */
  static final String OWN_ID = "$edgeHub";

  /** The quantiles IoT Edge's summaries publish. */
  private static final double[] QUANTILES = {0.1, 0.5, 0.9, 0.99};

  /** One legacy counter name: the meter behind it and the label its bracketed value names. */
  private record Family(String meter, String description, String label, boolean generic) {}

  private static final Map<String, Family> FAMILIES = Map.ofEntries(
      Map.entry(CONNECT_SUCCESS, new Family("edgehub.client.connect.success",
          "Total number of times individual clients successfully connected to the gateway", null, false)),
      Map.entry(CONNECT_FAILED, new Family("edgehub.client.connect.failed",
          "Total number of times individual clients failed to connect to the gateway", REASON, false)),
      Map.entry(DISCONNECT, new Family("edgehub.client.disconnect",
          "Total number of times individual clients disconnected from the gateway", REASON, false)),
      Map.entry(MESSAGES_RECEIVED, new Family("edgehub.messages.received", "Total number of messages received from clients", null, false)),
      Map.entry(MESSAGES_SENT, new Family("edgehub.messages.sent", "Total number of messages sent to clients or upstream", null, false)),
      Map.entry(MESSAGES_DROPPED, new Family("edgehub.messages.dropped", "Total number of messages removed because of reason", REASON, false)),
      Map.entry(OFFLINE, new Family("edgehub.offline.count", "Total number of times the gateway went offline", null, false)),
      Map.entry(PROTOCOL_ERROR, new Family("clearway.protocol.errors",
          "Connections closed for a protocol violation or timeout, by kind", REASON, true)),
      Map.entry(UNAUTHORIZED_TOPIC, new Family("clearway.unauthorized.topics",
          "Connections closed for publishing or subscribing on another identity's topic", "operation", true)),
      Map.entry(ROUTE_RELOAD, new Family("clearway.route.reloads", "Route set reloads, replaced or rejected", "outcome", true)),
      Map.entry(CONNECTIONS_REFUSED_AT_LIMIT, new Family("clearway.connections.refused.at.limit",
          "Sockets closed at once because clearway.mqtt.max-connections connections were open", null, true)),
      Map.entry(UPSTREAM_CONNECT_FAILED, new Family("clearway.upstream.connect.failed",
          "Uplink connection attempts that failed or were lost, by reason", REASON, true)));

  static final String MESSAGE_SIZE = "edgehub.message.size";
  static final String PROCESS_DURATION = "edgehub.message.process.duration";
  static final String SEND_DURATION = "edgehub.message.send.duration";
  private static final String OFFLINE_DURATION = "edgehub.offline.duration";
  private static final String GET_TWIN = "edgehub.gettwin";
  private static final String REPORTED_PROPERTIES = "edgehub.reported.properties";
  private static final String DIRECT_METHODS = "edgehub.direct.methods";

  private final MeterRegistry registry;
  private final Duration quantileWindow;
  private final LabelFolding identities;
  private final LabelFolding clients;
  private final LabelFolding routeNames;
  private final AtomicLong connected = new AtomicLong();
  private final Timer offlineDuration;
  private final ConcurrentHashMap<String, ConnectionMeters> connections = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<SenderKey, SendMeters> senders = new ConcurrentHashMap<>();
  private JvmGcMetrics gc;

  private record SenderKey(String from, String to, String toInput) {}

  /**
   * @param maxLabelValues the most distinct values of each identity or route-name label ({@code clearway.metrics.max-label-values})
   * @param quantileWindow the window the summaries' quantiles cover ({@code clearway.metrics.quantile-window})
   */
  public GatewayCounters(MeterRegistry registry, int maxLabelValues, Duration quantileWindow) {
    this.registry = registry;
    this.quantileWindow = quantileWindow;
    this.identities = new LabelFolding(maxLabelValues);
    // Refused clients name themselves before authentication: their ids get their own bound, so a
    // flood of made-up ids cannot push the real devices' ids into "other".
    this.clients = new LabelFolding(maxLabelValues);
    this.routeNames = new LabelFolding(maxLabelValues);
    Gauge.builder("edgehub.connected.clients", connected, AtomicLong::get)
        .description("Current number of clients connected to the gateway").register(registry);
    offlineDuration = timer(OFFLINE_DURATION, "Time the gateway was offline, per offline period", Tags.of(ID, OWN_ID));
    // Counters with a closed set of labels are shown at zero from the start: a series that appears
    // only with its first event breaks rate() and alerts until then.
    counter(FAMILIES.get(CONNECTIONS_REFUSED_AT_LIMIT), Tags.empty());
    for (String operation : new String[] {TOPIC_PUBLISH, TOPIC_SUBSCRIBE}) {
      counter(FAMILIES.get(UNAUTHORIZED_TOPIC), Tags.of(FAMILIES.get(UNAUTHORIZED_TOPIC).label(), operation));
    }
    for (String reason : new String[] {UPSTREAM_REFUSED, UPSTREAM_UNREACHABLE, UPSTREAM_OTHER}) {
      counter(FAMILIES.get(UPSTREAM_CONNECT_FAILED), Tags.of(REASON, reason));
    }
  }

  /** The registry every meter is in. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Adds the JVM's and the process's meters: memory, GC, threads, classes, CPU, uptime, file descriptors. */
  public void bindJvmAndProcess() {
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  /** Exports the uplink's state: the offline count and whether it is online. */
  public void watchUpstream(UpstreamStatus status, Clock clock) {
    Family offline = FAMILIES.get(OFFLINE);
    FunctionCounter.builder(offline.meter(), status, s -> s.offlineEpisodes()).description(offline.description())
        .tags(ID, OWN_ID).register(registry);
    Gauge.builder("clearway.upstream.online", status, s -> s.connectivity() == UpstreamStatus.Connectivity.ONLINE ? 1 : 0)
        .description("1 while at least one uplink connection to the hub is up, else 0").register(registry);
    FunctionCounter.builder("clearway.upstream.offline.time", status, s -> s.offlineDuration(clock.instant()).toNanos() / 1e9)
        .baseUnit("seconds").description("Time the uplink has been offline since the start, the current period included")
        .register(registry);
  }

  // --- counting ---------------------------------------------------------------------------------------

  /** Increments a counter without labels: {@link #CONNECTIONS_REFUSED_AT_LIMIT}. */
  public void increment(String name) {
    counter(generic(name, false), Tags.empty()).increment();
  }

  /**
   * Increments a counter by its one label: {@link #PROTOCOL_ERROR}, {@link #UNAUTHORIZED_TOPIC},
   * {@link #ROUTE_RELOAD}, {@link #UPSTREAM_CONNECT_FAILED}. Label values come from code, never
   * from a device, so they stay few.
   */
  public void increment(String name, String label) {
    Family f = generic(name, true);
    counter(f, Tags.of(f.label(), label)).increment();
  }

  private static Family generic(String name, boolean labelled) {
    Family f = FAMILIES.get(name);
    if (f == null || !f.generic() || (f.label() != null) != labelled) {
      throw new IllegalArgumentException(name + " is not a counter with " + (labelled ? "one label" : "no label")
          + "; use the method that names its labels");
    }
    return f;
  }

  /** A client was refused at CONNECT; {@code clientId} is what it claimed to be. */
  public void connectFailed(String clientId, String reason) {
    counter(FAMILIES.get(CONNECT_FAILED), Tags.of(ID, clients.fold(clientId), REASON, reason)).increment();
  }

  /** The meters of one authenticated identity's connections; hold them for the connection's life. */
  public ConnectionMeters connection(String identity) {
    return connections.computeIfAbsent(identities.fold(identity), id -> new ConnectionMeters(this, id));
  }

  /**
   * The meters of messages sent from {@code from} to {@code to} (an identity, or {@link #UPSTREAM}),
   * on input {@code toInput} ("" upstream); hold them where the sending happens.
   */
  public SendMeters sender(String from, String to, String toInput) {
    String toLabel = to.equals(UPSTREAM) ? UPSTREAM : identities.fold(to);
    return senders.computeIfAbsent(new SenderKey(identities.fold(from), toLabel, toInput.isEmpty() ? "" : routeNames.fold(toInput)),
        k -> new SendMeters(this, k.from(), k.to(), k.toInput()));
  }

  /** A message left without reaching an endpoint: {@code no_route} (the store counts {@code ttl_expiry} itself). */
  public void dropped(Message message, String reason) {
    counter(FAMILIES.get(MESSAGES_DROPPED), Tags.of(REASON, reason, FROM, identities.fold(identityOf(message)),
        FROM_ROUTE_OUTPUT, routeOutputLabel(message))).increment();
  }

  /** Exports messages whose time-to-live ran out in the store: {@code edgehub_messages_dropped_total{reason="ttl_expiry"}}. */
  public <T> void droppedByExpiry(T source, ToDoubleFunction<T> expired) {
    Family f = FAMILIES.get(MESSAGES_DROPPED);
    // The store removes expired references without decoding the messages: their origin is unknown.
    FunctionCounter.builder(f.meter(), source, expired).description(f.description())
        .tags(REASON, "ttl_expiry", FROM, "", FROM_ROUTE_OUTPUT, "").register(registry);
  }

  /** A twin GET: from a device, answered by the gateway ({@link #EDGE_HUB}), or the gateway's own to the hub ({@link #UPSTREAM}). */
  public void twinGet(String source, String identity) {
    counter(GET_TWIN, "Total number of GetTwin calls", Tags.of("source", source, ID, identities.fold(identity))).increment();
  }

  /** A reported-properties patch: from a device into the gateway's twin ({@link #EDGE_HUB}), or sent on to the hub ({@link #UPSTREAM}). */
  public void reportedProperties(String target, String identity) {
    counter(REPORTED_PROPERTIES, "Total reported property updates calls", Tags.of("target", target, ID, identities.fold(identity))).increment();
  }

  /** A direct-method call from {@code from} (the hub: {@link #UPSTREAM}) for {@code to}. */
  public void directMethod(String from, String to) {
    String fromLabel = from.equals(UPSTREAM) ? UPSTREAM : identities.fold(from);
    counter(DIRECT_METHODS, "Total number of direct method calls", Tags.of(FROM, fromLabel, TO, identities.fold(to))).increment();
  }

  /** The uplink was offline for {@code offline} and is back. */
  public void offlineEnded(Duration offline) {
    offlineDuration.record(offline);
  }

  /** Connections currently authenticated. */
  public AtomicLong connected() {
    return connected;
  }

  // --- reading back -----------------------------------------------------------------------------------

  /** The total of a counter, over all its labels. */
  public long get(String name) {
    return sum(family(name), null);
  }

  /** The total of {@code name{label}}, e.g. {@code client_connect_failed{bad_credentials}}, over its other labels. */
  public long get(String name, String label) {
    Family f = family(name);
    if (f.label() == null) {
      throw new IllegalArgumentException(name + " has no label");
    }
    return sum(f, label);
  }

  private static Family family(String name) {
    Family f = FAMILIES.get(name);
    if (f == null) {
      throw new IllegalArgumentException("no counter " + name);
    }
    return f;
  }

  private long sum(Family f, String label) {
    double total = 0;
    for (Meter m : registry.find(f.meter()).meters()) {
      if (label == null || label.equals(m.getId().getTag(f.label()))) {
        total += count(m);
      }
    }
    return Math.round(total);
  }

  private static double count(Meter m) {
    if (m instanceof Counter c) {
      return c.count();
    }
    return m instanceof FunctionCounter c ? c.count() : 0;
  }

  /** A sorted copy of every counter, as {@code name} or {@code name{label}}, for logs. */
  public Map<String, Long> snapshot() {
    Map<String, Long> m = new TreeMap<>();
    FAMILIES.forEach((name, f) -> {
      for (Meter meter : registry.find(f.meter()).meters()) {
        String key = f.label() == null ? name : name + "{" + meter.getId().getTag(f.label()) + "}";
        long n = Math.round(count(meter));
        if (n > 0) {
          m.merge(key, n, Long::sum);
        }
      }
    });
    return m;
  }

  /** Stops the JVM meters that listen for events (GC notifications). */
  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
  }

  // --- for the meter holders ----------------------------------------------------------------------------

  Counter counter(String name, String description, Tags tags) {
    return Counter.builder(name).description(description).tags(tags).register(registry);
  }

  private Counter counter(Family f, Tags tags) {
    return counter(f.meter(), f.description(), tags);
  }

  Counter familyCounter(String legacyName, Tags tags) {
    return counter(FAMILIES.get(legacyName), tags);
  }

  /** A timer publishing IoT Edge's quantiles over the configured window (a summary in Prometheus' terms). */
  Timer timer(String name, String description, Tags tags) {
    return Timer.builder(name).description(description).tags(tags).publishPercentiles(QUANTILES)
        .distributionStatisticExpiry(quantileWindow).register(registry);
  }

  DistributionSummary summary(String name, String description, String unit, Tags tags) {
    return DistributionSummary.builder(name).description(description).baseUnit(unit).tags(tags).publishPercentiles(QUANTILES)
        .distributionStatisticExpiry(quantileWindow).register(registry);
  }

  /** A route output or input name, bounded. */
  String routeName(String name) {
    return name.isEmpty() ? "" : routeNames.fold(name);
  }

  /** The output a module sent {@code message} on ("" for devices and a module's default output), bounded. */
  String routeOutputLabel(Message message) {
    return routeName(routeOutput(message));
  }

  static String routeOutput(Message message) {
    if (message.systemProperty(SystemProperty.CONNECTION_MODULE_ID) == null) {
      return "";
    }
    String output = message.systemProperty(SystemProperty.OUTPUT_NAME);
    return output == null ? "" : output;
  }

  /** The identity a message came from: {@code device} or {@code device/module}. */
  public static String identityOf(Message message) {
    String device = message.systemProperty(SystemProperty.CONNECTION_DEVICE_ID);
    String module = message.systemProperty(SystemProperty.CONNECTION_MODULE_ID);
    if (device == null) {
      return "";
    }
    return module == null ? device : device + "/" + module;
  }
}

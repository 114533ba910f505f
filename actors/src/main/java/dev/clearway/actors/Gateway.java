package dev.clearway.actors;

import com.typesafe.config.Config;
import dev.clearway.actors.config.GatewayConfig;
import dev.clearway.actors.config.SettingsReader;
import dev.clearway.actors.identity.Authenticator;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.actors.metrics.MetricsServer;
import dev.clearway.actors.metrics.MetricsSettings;
import dev.clearway.actors.metrics.Readiness;
import dev.clearway.actors.metrics.StoreGauges;
import dev.clearway.actors.mqtt.MqttConnection;
import dev.clearway.actors.mqtt.MqttListener;
import dev.clearway.actors.mqtt.MqttListenerSettings;
import dev.clearway.actors.upstream.UpstreamSettings;
import dev.clearway.actors.upstream.UpstreamSink;
import dev.clearway.actors.upstream.UpstreamStatus;
import dev.clearway.actors.router.ModuleInputDelivery;
import dev.clearway.actors.router.RouteReloader;
import dev.clearway.actors.session.DeviceSession;
import dev.clearway.actors.session.SessionSettings;
import dev.clearway.actors.session.TwinKeeper;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.RoutingRule;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.routes.RouteCompileException;
import dev.clearway.routes.RouteSet;
import dev.clearway.routes.RouteSettings;
import dev.clearway.streams.router.Ingress;
import dev.clearway.streams.router.Router;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.QueueId;
import dev.clearway.streams.store.StoreSettings;
import dev.clearway.streams.store.StoredRef;
import dev.clearway.streams.tcp.TcpTransport;
import dev.clearway.streams.tls.TlsBufferPool;
import dev.clearway.tls.ClientTls;
import dev.clearway.tls.GatewayTls;
import dev.clearway.tls.TlsSettings;
import dev.clearway.tls.TlsStartupException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.Materializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: its TLS identity, identity registry, actor system (a one-node Pekko cluster
 * unless seed nodes are configured), device sessions, router ingress and listeners, and the
 * metrics and health endpoints.
 *
 * <p>{@link #close()} shuts down gracefully: stop accepting connections, let the ingress hand what
 * it holds to the router, then stop the actor system.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** The dispatcher the TLS handshakes' cryptography runs on (clearway-runtime.conf). */
  static final String TLS_HANDSHAKE_DISPATCHER = "clearway.tls-handshake-dispatcher";

  private final ActorSystem<Void> system;
  private final GatewayTls tls;
  private final IdentityRegistry registry;
  private final MessageStore store;
  private final GatewayCounters counters;
  private final Ingress ingress;
  private final ActorRef<MqttListener.Command> mqttListener;
  private final InetSocketAddress mqttAddress;
  private final Optional<ActorRef<UpstreamSink.Command>> upstreamSink;
  private final UpstreamStatus upstreamStatus;
  private final Duration upstreamStopTimeout;
  private final Observability observability;

  /** The metrics and health side: the registry's gauges of the store, readiness, the HTTP endpoints (if enabled). */
  private record Observability(StoreGauges storeGauges, AtomicBoolean mqttBound, Optional<MetricsServer> server) {}

  private Gateway(ActorSystem<Void> system, GatewayTls tls, IdentityRegistry registry, MessageStore store, GatewayCounters counters,
      Ingress ingress, ActorRef<MqttListener.Command> mqttListener, InetSocketAddress mqttAddress,
      Optional<ActorRef<UpstreamSink.Command>> upstreamSink, UpstreamStatus upstreamStatus, Duration upstreamStopTimeout,
      Observability observability) {
    this.system = system;
    this.tls = tls;
    this.registry = registry;
    this.store = store;
    this.counters = counters;
    this.ingress = ingress;
    this.mqttListener = mqttListener;
    this.mqttAddress = mqttAddress;
    this.upstreamSink = upstreamSink;
    this.upstreamStatus = upstreamStatus;
    this.upstreamStopTimeout = upstreamStopTimeout;
    this.observability = observability;
  }

  /** A start that cannot go ahead: one line per reason, for the operator. */
  public static final class StartException extends Exception {
    private static final long serialVersionUID = 1L;

    public StartException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Starts a gateway.
   *
   * @param config the resolved configuration (see {@code GatewayConfig})
   * @param dataDir where the quickstart PKI, the identity registry and the message store live
   * @param handled told of every message the router handled: stored (its queues) or not (no route)
   * @param watchedFile the operator's configuration file: when it changes, its routes are reloaded
   */
  public static Gateway start(Config config, Path dataDir, BiConsumer<Message, StoredRef> handled, Optional<Path> watchedFile)
      throws StartException {
    Clock clock = Clock.systemUTC();
    RouteSet routes;
    try {
      routes = RouteSet.compile(RouteSettings.fromConfig(config));
    } catch (RouteCompileException e) {
      throw new StartException("the routes do not compile:" + System.lineSeparator() + e.getMessage(), e);
    }
    routes.warnings().forEach(w -> log.warn("routes: {}", w));
    AtomicReference<RouteSet> currentRoutes = new AtomicReference<>(routes);
    MetricsSettings metrics;
    StoreSettings storeSettings;
    try {
      metrics = MetricsSettings.fromConfig(config);
      storeSettings = StoreSettings.create(config);
    } catch (RuntimeException e) {
      throw new StartException(e.getMessage(), e);
    }
    TlsSettings tlsSettings = TlsSettings.fromConfig(config);
    GatewayTls tls;
    try {
      tls = GatewayTls.start(tlsSettings, dataDir, clock);
    } catch (TlsStartupException e) {
      throw new StartException("the gateway's TLS identity cannot be set up:" + System.lineSeparator() + e.getMessage(), e);
    }
    IdentityRegistry registry;
    MessageStore store;
    try {
      registry = IdentityRegistry.open(dataDir, config.getDuration("clearway.identities.reload-check-interval"), clock);
      store = MessageStore.open(dataDir.resolve("store"), storeSettings, clock);
    } catch (IdentityRegistry.RegistryException | RuntimeException e) {
      tls.close();
      throw new StartException(e.getMessage(), e);
    }
    Set<String> hosts = new LinkedHashSet<>();
    String hub = config.getString("clearway.hub.hostname").trim();
    if (!hub.isEmpty()) {
      hosts.add(hub);
    }
    hosts.add(tlsSettings.hostname());
    Authenticator authenticator = new Authenticator(registry, hosts, tls::trustedRoots, clock);
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.throwExceptionOnRegistrationFailure(); // two meters of one name with different labels are a bug: fail the tests
    // The labels every IoT Edge metric carries; instance_number tells one run's series from the next.
    meters.config().commonTags("iothub", hub, "edge_device", config.getString("clearway.hub.device-id").trim(),
        "instance_number", UUID.randomUUID().toString());
    GatewayCounters counters = new GatewayCounters(meters, metrics.maxLabelValues(), metrics.quantileWindow());
    if (metrics.enabled()) {
      counters.bindJvmAndProcess();
    }
    UpstreamSettings upstream;
    Optional<ClientTls> uplinkTls;
    try {
      upstream = UpstreamSettings.fromConfig(config);
      uplinkTls = upstream.enabled() && upstream.tls()
          ? Optional.of(ClientTls.create(upstream.trustBundle(), "clearway.upstream.trust-bundle-cert")) : Optional.empty();
    } catch (RuntimeException e) {
      store.close();
      tls.close();
      throw new StartException(e.getMessage(), e);
    }
    UpstreamStatus upstreamStatus = new UpstreamStatus(
        upstream.enabled() ? UpstreamStatus.Connectivity.UNKNOWN : UpstreamStatus.Connectivity.DISABLED, clock.instant());
    counters.watchUpstream(upstreamStatus, clock);
    StoreGauges storeGauges = new StoreGauges(meters, store, storeSettings.maxSize(),
        routes.rules().stream().map(r -> new QueueId(r.sink(), r.priority())).toList(), counters);
    AtomicBoolean mqttBound = new AtomicBoolean();
    Readiness readiness = new Readiness()
        .require("the MQTT listener is not bound", mqttBound::get)
        .require("the store is not open", store::isOpen);
    if (!upstream.enabled() && routes.rules().stream().anyMatch(r -> r.sink() instanceof Endpoint.Upstream)) {
      log.warn("Routes send to $upstream, but clearway.hub.hostname is not set: those messages stay in the store (until their time-to-live)");
    }
    MqttListenerSettings mqtt = MqttListenerSettings.fromConfig(config);
    MqttSettings codec = MqttSettings.create(config);
    TlsBufferPool tlsBuffers = TlsBufferPool.create(config);
    TcpTransport.Settings tcpSettings = TcpTransport.Settings.from(config);
    SessionSettings sessions = SessionSettings.fromConfig(config);

    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    CompletableFuture<Ingress> ingressReady = new CompletableFuture<>();
    CompletableFuture<ActorRef<MqttListener.Command>> listenerReady = new CompletableFuture<>();
    CompletableFuture<Optional<ActorRef<UpstreamSink.Command>>> sinkReady = new CompletableFuture<>();
    // The sockets of the devices and of the uplink; its threads stop once the actor system has.
    TcpTransport tcp = TcpTransport.start("clearway-tcp", tcpSettings);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address())); // a one-node cluster
      }
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      TwinKeeper twins = new TwinKeeper() {
        @Override
        public Optional<byte[]> load(String identity) {
          return store.twin(identity);
        }

        @Override
        public void save(String identity, byte[] document) {
          store.putTwin(identity, document);
        }
      };
      sharding.init(Entity.of(DeviceSession.TYPE_KEY, e -> DeviceSession.create(e.getEntityId(), sessions, twins)));
      // Handshake cryptography on threads of its own: a storm of new connections waits there, not
      // in front of the established connections' work.
      Executor handshakeTasks = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(TLS_HANDSHAKE_DISPATCHER));
      UpstreamSink.StoredSignal storedSignal = new UpstreamSink.StoredSignal();
      ActorRef<UpstreamSink.Command> sink = upstream.enabled()
          ? ctx.spawn(UpstreamSink.create(store, upstream, registry, uplinkTls, tcp, tlsBuffers, handshakeTasks, codec, sharding, counters, clock, upstreamStatus,
              storedSignal), "upstream")
          : null;
      sinkReady.complete(Optional.ofNullable(sink));
      Materializer materializer = Materializer.createMaterializer(ctx);
      Ingress ingress = Ingress.start(materializer, config.getInt("clearway.ingress.buffer-size"), mqtt.maxConnections(),
          Router.storing(currentRoutes::get, store, config.getInt("clearway.ingress.router-parallelism"), (message, ref) -> {
            if (!ref.stored()) {
              counters.dropped(message, "no_route"); // acknowledged, routed nowhere
            } else if (sink != null) {
              storedSignal.stored();
            }
            handled.accept(message, ref);
          }));
      ingressReady.complete(ingress);
      Set<Endpoint.ModuleInput> delivering = ConcurrentHashMap.newKeySet();
      startModuleDeliveries(ctx::spawn, config, routes, store, sharding, clock, delivering, counters);
      // A reloaded set may name new module inputs: their deliveries start then (from the reloader's thread).
      Consumer<RouteSet> onReplaced = next -> startModuleDeliveries(
          (behavior, name) -> ctx.getSystem().systemActorOf(behavior, name, Props.empty()), config, next, store, sharding, clock, delivering,
          counters);
      watchedFile.ifPresent(file -> ctx.spawn(RouteReloader.create(file, f -> GatewayConfig.load(Optional.of(f)), currentRoutes,
          onReplaced, counters, config.getDuration("clearway.route-reload.check-interval")), "route-reloader"));
      BiConsumer<String, Boolean> presence = sink == null ? (id, present) -> { }
          : (id, present) -> sink.tell(new UpstreamSink.DevicePresent(id, present));
      MqttConnection.Dependencies deps = new MqttConnection.Dependencies(mqtt, authenticator, sharding, ingress, counters, clock, presence);
      listenerReady.complete(ctx.spawn(MqttListener.create(deps, tls.serverTls(), codec, tcp, tlsBuffers, handshakeTasks, bound), "mqtt-listener"));
      return Behaviors.empty();
    }), "clearway", config);
    system.getWhenTerminated().whenComplete((done, failure) -> tcp.close());

    try {
      Optional<MetricsServer> server = metrics.enabled() ? Optional.of(serveMetrics(system, metrics, meters, storeGauges, readiness))
          : Optional.empty();
      InetSocketAddress address = bound.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      mqttBound.set(true);
      log.info("Gateway {} started; devices trust {}", tlsSettings.hostname(), tls.trustBundle().toAbsolutePath());
      return new Gateway(system, tls, registry, store, counters, ingressReady.get(), listenerReady.get(), address,
          sinkReady.get(), upstreamStatus, upstream.stopTimeout(), new Observability(storeGauges, mqttBound, server));
    } catch (ExecutionException | TimeoutException | StartException e) {
      stopAfterFailedStart(system, storeGauges, counters, store, tls);
      if (e instanceof StartException s) {
        throw s;
      }
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new StartException(cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopAfterFailedStart(system, storeGauges, counters, store, tls);
      throw new StartException("interrupted while starting", e);
    }
  }

  private static void terminateAndWait(ActorSystem<Void> system) {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("The actor system did not stop within 30 s: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void stopAfterFailedStart(ActorSystem<Void> system, StoreGauges storeGauges, GatewayCounters counters, MessageStore store,
      GatewayTls tls) {
    terminateAndWait(system); // the actors that read the store (the uplink) stop before it closes
    storeGauges.close();
    counters.close();
    store.close();
    tls.close();
  }

  /** Binds the metrics and health endpoints; a port that cannot be bound stops the start with one line. */
  private static MetricsServer serveMetrics(ActorSystem<Void> system, MetricsSettings metrics, PrometheusMeterRegistry meters,
      StoreGauges storeGauges, Readiness readiness) throws StartException, InterruptedException {
    try {
      MetricsServer server = MetricsServer.start(system, metrics, meters, () -> storeGauges.refreshWithin(metrics.storeReadTimeout()),
          readiness).toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      log.info("Metrics on http://{}:{}/metrics, health on /health/live and /health/ready", metrics.host(), server.address().getPort());
      return server;
    } catch (ExecutionException | TimeoutException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new StartException("cannot serve metrics on " + metrics.host() + ":" + metrics.port() + " (clearway.metrics.port): "
          + (root.getMessage() == null ? root.toString() : root.getMessage()), e);
    }
  }

  /** Spawns an actor: the guardian's context at start, the system afterwards. */
  private interface Spawner {
    void spawn(Behavior<ModuleInputDelivery.Command> behavior, String name);
  }

  /**
   * One delivery actor per module input the routes send to (they belong to the gateway's own
   * device); inputs already in {@code delivering} keep theirs.
   */
  private static void startModuleDeliveries(Spawner spawner, Config config, RouteSet routes, MessageStore store,
      ClusterSharding sharding, Clock clock, Set<Endpoint.ModuleInput> delivering, GatewayCounters counters) {
    List<Endpoint.ModuleInput> inputs = routes.rules().stream().map(RoutingRule::sink)
        .filter(Endpoint.ModuleInput.class::isInstance).map(Endpoint.ModuleInput.class::cast).distinct()
        .filter(i -> !delivering.contains(i)).toList();
    String gatewayDeviceId = config.getString("clearway.hub.device-id").trim();
    if (inputs.isEmpty()) {
      return;
    }
    if (gatewayDeviceId.isEmpty()) {
      log.warn("Routes send to module inputs {}, but clearway.hub.device-id (the gateway's own device, whose modules they are) "
          + "is not set: those messages stay in the store until it is", inputs.stream().map(Endpoint::sinkText).toList());
      return;
    }
    SettingsReader r = new SettingsReader(config, "clearway.module-delivery");
    ModuleInputDelivery.Settings settings = new ModuleInputDelivery.Settings(r.positiveDuration("poll-interval"),
        r.intIn("max-inflight", 1, 1000), r.positiveDuration("redeliver-after"), r.bytesUpTo("max-read-bytes", 1 << 30));
    for (Endpoint.ModuleInput input : inputs) {
      delivering.add(input);
      spawner.spawn(ModuleInputDelivery.create(store, input, gatewayDeviceId, sharding, settings, clock, counters),
          "module-delivery-" + java.net.URLEncoder.encode(input.moduleId() + "." + input.input(), java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  public InetSocketAddress mqttAddress() {
    return mqttAddress;
  }

  public GatewayTls tls() {
    return tls;
  }

  public IdentityRegistry registry() {
    return registry;
  }

  /** The durable store: every routed message waits in its endpoints' queues here. */
  public MessageStore store() {
    return store;
  }

  public GatewayCounters counters() {
    return counters;
  }

  /** Where the metrics and health endpoints listen; empty when clearway.metrics.enabled is off. */
  public Optional<InetSocketAddress> metricsAddress() {
    return observability.server().map(MetricsServer::address);
  }

  /** Whether the gateway reaches the hub. */
  public UpstreamStatus upstreamStatus() {
    return upstreamStatus;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** Graceful stop: unbind, drain the ingress into the router and store, stop the actor system, close the store. */
  @Override
  public void close() {
    observability.mqttBound().set(false); // not ready from now on: load balancers stop sending devices here
    CompletableFuture<Done> unbound = new CompletableFuture<>();
    mqttListener.tell(new MqttListener.Unbind(unbound));
    try {
      unbound.get(10, TimeUnit.SECONDS);
      ingress.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (upstreamSink.isPresent()) {
        // The links close; confirmations that arrived are acknowledged in the store before it closes.
        CompletableFuture<Done> sinkStopped = new CompletableFuture<>();
        upstreamSink.get().tell(new UpstreamSink.Stop(sinkStopped));
        // The sink gives up on its links after clearway.upstream.stop-timeout; a second more for its answer.
        sinkStopped.get(upstreamStopTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Shutdown did not finish cleanly: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    terminateAndWait(system);
    observability.storeGauges().close();
    counters.close();
    store.close(); // after the ingress drained: every acknowledged message is in it
    tls.close();
    log.info("Gateway stopped; counters: {}", counters.snapshot());
  }
}

package dev.clearway.actors;

import com.typesafe.config.Config;
import dev.clearway.actors.identity.Authenticator;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.actors.mqtt.MqttConnection;
import dev.clearway.actors.mqtt.MqttListener;
import dev.clearway.actors.mqtt.MqttListenerSettings;
import dev.clearway.actors.session.DeviceSession;
import dev.clearway.actors.session.SessionSettings;
import dev.clearway.routes.Message;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.streams.router.Ingress;
import dev.clearway.tls.GatewayTls;
import dev.clearway.tls.TlsSettings;
import dev.clearway.tls.TlsStartupException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: its TLS identity, identity registry, actor system (a one-node Pekko cluster
 * unless seed nodes are configured), device sessions, router ingress and listeners.
 *
 * <p>{@link #close()} shuts down gracefully: stop accepting connections, let the ingress hand what
 * it holds to the router, then stop the actor system.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<Void> system;
  private final GatewayTls tls;
  private final IdentityRegistry registry;
  private final GatewayCounters counters;
  private final Ingress ingress;
  private final ActorRef<MqttListener.Command> mqttListener;
  private final InetSocketAddress mqttAddress;

  private Gateway(ActorSystem<Void> system, GatewayTls tls, IdentityRegistry registry, GatewayCounters counters, Ingress ingress,
      ActorRef<MqttListener.Command> mqttListener, InetSocketAddress mqttAddress) {
    this.system = system;
    this.tls = tls;
    this.registry = registry;
    this.counters = counters;
    this.ingress = ingress;
    this.mqttListener = mqttListener;
    this.mqttAddress = mqttAddress;
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
   * @param dataDir where the quickstart PKI and the identity registry live
   * @param router what receives each message the ingress accepted (until the store lands)
   */
  public static Gateway start(Config config, Path dataDir, Function<Materializer, Sink<Message, CompletionStage<Done>>> router)
      throws StartException {
    Clock clock = Clock.systemUTC();
    GatewayTls tls;
    try {
      tls = GatewayTls.start(TlsSettings.fromConfig(config), dataDir, clock);
    } catch (TlsStartupException e) {
      throw new StartException("the gateway's TLS identity cannot be set up:" + System.lineSeparator() + e.getMessage(), e);
    }
    IdentityRegistry registry;
    try {
      registry = IdentityRegistry.open(dataDir, config.getDuration("clearway.identities.reload-check-interval"), clock);
    } catch (IdentityRegistry.RegistryException e) {
      tls.close();
      throw new StartException(e.getMessage(), e);
    }
    Set<String> hosts = new LinkedHashSet<>();
    String hub = config.getString("clearway.hub.hostname").trim();
    if (!hub.isEmpty()) {
      hosts.add(hub);
    }
    hosts.add(TlsSettings.fromConfig(config).hostname());
    Authenticator authenticator = new Authenticator(registry, hosts, tls::trustedRoots, clock);
    GatewayCounters counters = new GatewayCounters();
    MqttListenerSettings mqtt = MqttListenerSettings.fromConfig(config);
    MqttSettings codec = MqttSettings.create(config);
    SessionSettings sessions = SessionSettings.fromConfig(config);

    CompletableFuture<InetSocketAddress> bound = new CompletableFuture<>();
    CompletableFuture<Ingress> ingressReady = new CompletableFuture<>();
    CompletableFuture<ActorRef<MqttListener.Command>> listenerReady = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.setup(ctx -> {
      Cluster cluster = Cluster.get(ctx.getSystem());
      if (config.getStringList("pekko.cluster.seed-nodes").isEmpty()) {
        cluster.manager().tell(Join.create(cluster.selfMember().address())); // a one-node cluster
      }
      ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
      sharding.init(Entity.of(DeviceSession.TYPE_KEY, e -> DeviceSession.create(e.getEntityId(), sessions)));
      Materializer materializer = Materializer.createMaterializer(ctx);
      Ingress ingress = Ingress.start(materializer, config.getInt("clearway.ingress.buffer-size"), mqtt.maxConnections(),
          router.apply(materializer));
      ingressReady.complete(ingress);
      MqttConnection.Dependencies deps = new MqttConnection.Dependencies(mqtt, authenticator, sharding, ingress, counters, clock);
      listenerReady.complete(ctx.spawn(MqttListener.create(deps, tls.serverTls(), codec, bound), "mqtt-listener"));
      return Behaviors.empty();
    }), "clearway", config);

    try {
      InetSocketAddress address = bound.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      log.info("Gateway {} started; devices trust {}", TlsSettings.fromConfig(config).hostname(), tls.trustBundle().toAbsolutePath());
      return new Gateway(system, tls, registry, counters, ingressReady.get(), listenerReady.get(), address);
    } catch (ExecutionException | TimeoutException e) {
      system.terminate();
      tls.close();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new StartException(cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      system.terminate();
      tls.close();
      throw new StartException("interrupted while starting", e);
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

  public GatewayCounters counters() {
    return counters;
  }

  public ActorSystem<Void> system() {
    return system;
  }

  /** Graceful stop: unbind, drain the ingress into the router, stop the actor system. */
  @Override
  public void close() {
    CompletableFuture<Done> unbound = new CompletableFuture<>();
    mqttListener.tell(new MqttListener.Unbind(unbound));
    try {
      unbound.get(10, TimeUnit.SECONDS);
      ingress.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Shutdown did not finish cleanly: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("The actor system did not stop within 30 s: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tls.close();
    log.info("Gateway stopped; counters: {}", counters.snapshot());
  }
}

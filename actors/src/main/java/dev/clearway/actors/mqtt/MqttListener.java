package dev.clearway.actors.mqtt;

import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.streams.mqtt.MqttCodecFlow;
import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.streams.tcp.TcpTransport;
import dev.clearway.streams.tls.TlsBufferPool;
import dev.clearway.streams.tls.TlsFlow;
import dev.clearway.tls.ServerTls;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * The MQTT/TLS listener (port 8883 by default), on the gateway's {@link TcpTransport}. For each
 * accepted socket it spawns an {@link MqttConnection} and joins the connection's pipeline, written
 * here in one place:
 *
 * <pre>
 * TCP bytes ⇄ TLS (the gateway's server identity) ⇄ MQTT framing + codec ⇄ connection actor
 * </pre>
 *
 * <p>At most {@code max-connections} connections are served at once; a socket beyond that is
 * closed at once and counted. Stopping the listener unbinds the port, so no new connection is
 * accepted while the live ones finish.
 */
public final class MqttListener {

  /** What the listener handles; node-local (sockets never cross nodes), so never serialized. */
  public sealed interface Command extends NoSerializationVerificationNeeded permits Accepted, BindResult, Unbind {}

  private record Accepted(TcpTransport.Incoming connection) implements Command {}

  private record BindResult(TcpTransport.Binding binding, Throwable failure) implements Command {}

  /** Stop accepting: unbind the port; connections already up stay up. */
  public record Unbind(CompletableFuture<Done> done) implements Command {}

  private final ActorContext<Command> context;
  private final MqttConnection.Dependencies deps;
  private final ServerTls tls;
  /**
   * The codec's blueprint, made once: each connection materializes its own stages from it, and a
   * stage keeps its blueprint as long as it runs (one per connection would cost every idle
   * connection its copy).
   */
  private final BidiFlow<ByteString, MqttInbound, MqttPacket, ByteString, NotUsed> codec;
  private final TlsBufferPool tlsBuffers;
  private final Executor handshakeTasks;
  private final Materializer materializer;
  private TcpTransport.Binding binding;
  private long accepted;

  private MqttListener(ActorContext<Command> context, MqttConnection.Dependencies deps, ServerTls tls, MqttSettings codecSettings,
      TlsBufferPool tlsBuffers, Executor handshakeTasks) {
    this.context = context;
    this.deps = deps;
    this.tls = tls;
    this.codec = MqttCodecFlow.create(codecSettings);
    this.tlsBuffers = tlsBuffers;
    this.handshakeTasks = handshakeTasks;
    this.materializer = Materializer.matFromSystem(context.getSystem());
  }

  /**
   * A listener that binds at once.
   *
   * @param tcp where the listening socket and the connections' sockets live
   * @param tlsBuffers the buffers every connection's TLS borrows while it encrypts or decrypts
   * @param handshakeTasks where the connections' TLS handshakes do their cryptography
   * @param bound completed with the bound address (tests bind port 0), or failed when the port is taken
   */
  public static Behavior<Command> create(MqttConnection.Dependencies deps, ServerTls tls, MqttSettings codecSettings,
      TcpTransport tcp, TlsBufferPool tlsBuffers, Executor handshakeTasks, CompletableFuture<InetSocketAddress> bound) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(MqttListener.class);
      MqttListener listener = new MqttListener(ctx, deps, tls, codecSettings, tlsBuffers, handshakeTasks);
      MqttListenerSettings s = deps.settings();
      // Accepted sockets are handed over on the transport's selector thread: one message each.
      CompletionStage<TcpTransport.Binding> binding = tcp.bind(new InetSocketAddress(s.bindAddress(), s.port()),
          c -> ctx.getSelf().tell(new Accepted(c)));
      ctx.pipeToSelf(binding, BindResult::new);
      return listener.binding(bound);
    });
  }

  private Behavior<Command> binding(CompletableFuture<InetSocketAddress> bound) {
    return Behaviors.receive(Command.class)
        .onMessage(BindResult.class, r -> {
          if (r.failure() != null) {
            bound.completeExceptionally(new IllegalStateException("cannot listen for MQTT on "
                + deps.settings().bindAddress() + ":" + deps.settings().port() + " (clearway.mqtt.port): " + r.failure().getMessage(), r.failure()));
            return Behaviors.stopped();
          }
          binding = r.binding();
          context.getLog().info("MQTT/TLS listening on {}", binding.localAddress());
          bound.complete(binding.localAddress());
          return listening();
        })
        .onMessage(Accepted.class, this::onAccepted)
        .onMessage(Unbind.class, u -> {
          u.done().complete(Done.getInstance());
          return Behaviors.stopped();
        })
        .build();
  }

  private Behavior<Command> listening() {
    return Behaviors.receive(Command.class)
        .onMessage(Accepted.class, this::onAccepted)
        .onMessage(Unbind.class, u -> {
          binding.unbind().whenComplete((d, e) -> u.done().complete(Done.getInstance()));
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> onAccepted(Accepted a) {
    TcpTransport.Incoming connection = a.connection();
    String remote = connection.remoteAddress().toString();
    if (context.getChildren().spliterator().getExactSizeIfKnown() >= deps.settings().maxConnections()) {
      // Over the limit: close at once rather than queue; the device's SDK retries with backoff.
      deps.counters().increment(GatewayCounters.CONNECTIONS_REFUSED_AT_LIMIT);
      context.getLog().warn("Refusing a connection from {}: {} connections is the limit (clearway.mqtt.max-connections)",
          remote, deps.settings().maxConnections());
      connection.refuse();
      return Behaviors.same();
    }
    String name = "mqtt-" + (++accepted);
    // When the connection actor stops (after its close linger at the latest), its port fails the
    // stream and the socket closes, even if the outbound side never finished (a peer that stopped reading).
    ActorRef<MqttConnection.Command> actor = context.spawn(MqttConnection.create(deps, remote), name);
    connection.handleWith(pipeline(actor), materializer);
    return Behaviors.same();
  }

  /**
   * The per-connection pipeline, one stream interpreter per connection: TLS, then the MQTT codec,
   * then the port to the connection actor (inbound with backpressure, outbound from the actor).
   */
  private Flow<ByteString, ByteString, NotUsed> pipeline(ActorRef<MqttConnection.Command> actor) {
    // Called once the handshake is done, before any plaintext passes; every session is accepted
    // here, because client certificates are judged by authentication, after CONNECT. The stage's
    // outbound completion (the actor's Close) sends close_notify and closes without waiting for the
    // peer's; a cancelled plaintext side does not stop the last packets (a refusal's CONNACK).
    BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> tlsStage = TlsFlow.create(
        tls::newServerEngine,
        session -> actor.tell(new MqttConnection.TlsEstablished(peerChain(session))),
        tlsBuffers, handshakeTasks);
    return tlsStage.reversed()
        .atop(codec)
        .join(Flow.fromGraph(new ConnectionPort(actor, deps.settings().outboundBuffer())));
  }

  private static List<X509Certificate> peerChain(SSLSession session) {
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (Certificate c : session.getPeerCertificates()) {
        if (c instanceof X509Certificate x) {
          chain.add(x);
        }
      }
      return List.copyOf(chain);
    } catch (SSLPeerUnverifiedException e) {
      return List.of(); // no client certificate: SAS authentication
    }
  }
}

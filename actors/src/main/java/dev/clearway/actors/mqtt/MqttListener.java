package dev.clearway.actors.mqtt;

import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.streams.mqtt.MqttCodecFlow;
import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.tls.ServerTls;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.CompletionStrategy;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.util.ByteString;

/**
 * The MQTT/TLS listener (port 8883 by default). For each accepted socket it spawns an
 * {@link MqttConnection} and joins the connection's pipeline, written here in one place:
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

  private record Accepted(Tcp.IncomingConnection connection) implements Command {}

  private record BindResult(Tcp.ServerBinding binding, Throwable failure) implements Command {}

  /** Stop accepting: unbind the port; connections already up stay up. */
  public record Unbind(CompletableFuture<Done> done) implements Command {}

  private final ActorContext<Command> context;
  private final MqttConnection.Dependencies deps;
  private final ServerTls tls;
  private final MqttSettings codecSettings;
  private final Materializer materializer;
  private Tcp.ServerBinding binding;
  private long accepted;

  private MqttListener(ActorContext<Command> context, MqttConnection.Dependencies deps, ServerTls tls, MqttSettings codecSettings) {
    this.context = context;
    this.deps = deps;
    this.tls = tls;
    this.codecSettings = codecSettings;
    this.materializer = Materializer.matFromSystem(context.getSystem());
  }

  /**
   * A listener that binds at once.
   *
   * @param bound completed with the bound address (tests bind port 0), or failed when the port is taken
   */
  public static Behavior<Command> create(MqttConnection.Dependencies deps, ServerTls tls, MqttSettings codecSettings,
      CompletableFuture<InetSocketAddress> bound) {
    return Behaviors.setup(ctx -> {
      ctx.setLoggerName(MqttListener.class);
      MqttListener listener = new MqttListener(ctx, deps, tls, codecSettings);
      MqttListenerSettings s = deps.settings();
      CompletionStage<Tcp.ServerBinding> binding = Tcp.get(ctx.getSystem())
          .bind(s.bindAddress(), s.port())
          .to(Sink.foreach(c -> ctx.getSelf().tell(new Accepted(c))))
          .run(listener.materializer);
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
    Tcp.IncomingConnection connection = a.connection();
    String remote = connection.remoteAddress().toString();
    if (context.getChildren().spliterator().getExactSizeIfKnown() >= deps.settings().maxConnections()) {
      // Over the limit: close at once rather than queue; the device's SDK retries with backoff.
      deps.counters().increment(GatewayCounters.CONNECTIONS_REFUSED_AT_LIMIT);
      context.getLog().warn("Refusing a connection from {}: {} connections is the limit (clearway.mqtt.max-connections)",
          remote, deps.settings().maxConnections());
      connection.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), materializer);
      return Behaviors.same();
    }
    // Close completes the outbound stream only after what is queued before it has gone out (a
    // CONNACK with its refusal code, say): the draining strategy, which the typed ActorSource lacks.
    Pair<org.apache.pekko.actor.ActorRef, Source<MqttConnection.ToDevice, NotUsed>> outboundPair =
        Source.<MqttConnection.ToDevice>actorRef(
                m -> m == MqttConnection.Close.INSTANCE ? Optional.of(CompletionStrategy.draining()) : Optional.empty(),
                m -> Optional.empty(),
                deps.settings().outboundBuffer(),
                OverflowStrategy.fail())
            .preMaterialize(materializer);
    Pair<ActorRef<MqttConnection.ToDevice>, Source<MqttConnection.ToDevice, NotUsed>> outbound =
        Pair.create(Adapter.toTyped(outboundPair.first()), outboundPair.second());
    String name = "mqtt-" + (++accepted);
    // Closes the socket itself: after the close_notify, Pekko's TLS waits for the peer's, which
    // TLS 1.3 clients need not send; the connection actor shuts this switch once it has flushed.
    SharedKillSwitch socket = KillSwitches.shared(name);
    ActorRef<MqttConnection.Command> actor = context.spawn(
        MqttConnection.create(deps, outbound.first(), socket, remote), name);
    connection.handleWith(Flow.<ByteString>create().via(socket.flow()).via(pipeline(actor, outbound.second())), materializer);
    return Behaviors.same();
  }

  /** The per-connection pipeline: TLS, then the MQTT codec, then the connection actor. */
  private Flow<ByteString, ByteString, NotUsed> pipeline(ActorRef<MqttConnection.Command> actor,
      Source<MqttConnection.ToDevice, NotUsed> outbound) {
    BidiFlow<TLSProtocol.SslTlsOutbound, ByteString, ByteString, TLSProtocol.SslTlsInbound, NotUsed> tlsStage = TLS.create(
        tls::newServerEngine,
        // Called once the handshake is done; accepting every session here, because client
        // certificates are judged by authentication, after CONNECT.
        session -> actor.tell(new MqttConnection.TlsEstablished(peerChain(session))),
        // When the connection closes, the inbound side is cancelled first; that must not abort the
        // session before the last packets (a refusal's CONNACK) are encrypted and sent. The
        // outbound side's completion closes TLS; the connection's kill switch bounds the wait.
        org.apache.pekko.stream.IgnoreCancel$.MODULE$);
    BidiFlow<TLSProtocol.SslTlsInbound, ByteString, ByteString, TLSProtocol.SslTlsOutbound, NotUsed> plaintext = BidiFlow.fromFlows(
        Flow.<TLSProtocol.SslTlsInbound>create()
            .filter(in -> in instanceof TLSProtocol.SessionBytes)
            .map(in -> ((TLSProtocol.SessionBytes) in).bytes()),
        Flow.<ByteString>create().map(TLSProtocol.SendBytes::new));
    // Not coupled: when the connection closes, its last packets must be flushed before the read
    // side is cancelled (a cancelled read side makes TCP close at once). The actor's kill switch
    // closes the socket after the linger in any case.
    Flow<MqttInbound, MqttPacket, NotUsed> toActor = Flow.fromSinkAndSource(
        ActorSink.<MqttInbound, MqttConnection.Command, MqttConnection.Ack>actorRefWithBackpressure(
            actor,
            MqttConnection.FromDevice::new,
            MqttConnection.StreamInit::new,
            MqttConnection.Ack.INSTANCE,
            MqttConnection.StreamCompleted.INSTANCE,
            MqttConnection.StreamFailed::new),
        outbound.map(m -> ((MqttConnection.Send) m).packet()));
    return tlsStage.reversed().atop(plaintext).atop(MqttCodecFlow.create(codecSettings)).join(toActor);
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

package dev.clearway.actors.demo;

import dev.clearway.actors.identity.Authenticator;
import dev.clearway.actors.mqtt.MqttUsername;
import dev.clearway.streams.iothub.DeviceTopics;
import dev.clearway.streams.mqtt.MqttCodecFlow;
import dev.clearway.streams.mqtt.MqttError;
import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.tls.ServerTls;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's stand-in for IoT Hub, small enough to ship in the gateway's jar: an MQTT 3.1.1 server
 * on the project's own codec, behind TLS, that speaks IoT Hub's device protocol to the gateway's
 * uplink. Per connection:
 *
 * <pre>
 * TCP ⇄ TLS (a server certificate from the demo's PKI) ⇄ MQTT framing + codec ⇄ session (below)
 * </pre>
 *
 * <ul>
 *   <li>CONNECT is checked as IoT Hub checks it: the user name {@code {hub}/{clientId}/?api-version=…}
 *       and the SAS token, with the gateway's own verification ({@link Authenticator}) against the
 *       demo's registry, accepting only tokens for the hub's host name. A bad token gets CONNACK 4,
 *       an identity or token the hub does not know CONNACK 5, and the connection closes.
 *   <li>Telemetry on the identity's own topic is handed to the {@link TelemetrySink}, then a QoS 1
 *       PUBLISH gets its PUBACK; SUBSCRIBE gets a SUBACK (QoS 1 at most), PINGREQ a PINGRESP, a twin
 *       GET an empty twin, a reported patch a 204. Anything naming another identity, a QoS 2
 *       PUBLISH or a protocol violation closes the connection.
 * </ul>
 *
 * <p>Bounded: at most {@code maxConnections} connections (one more is closed at once), each
 * backpressured end to end by the stream (a slow reader slows its writer), closed after {@code
 * idleTimeout} of silence.
 */
final class DemoHub implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DemoHub.class);
  private static final ByteString EMPTY_TWIN = ByteString.fromString("{\"desired\":{\"$version\":1},\"reported\":{\"$version\":1}}");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /** Told of each telemetry message the hub accepts, before its PUBACK goes out. */
  interface TelemetrySink {
    void accept(String identity, ByteString body);
  }

  private final String hubHost;
  private final Authenticator authenticator;
  private final MqttSettings codec;
  private final int maxConnections;
  private final TelemetrySink sink;
  private final Materializer materializer;
  private final SharedKillSwitch connections = KillSwitches.shared("demo-hub");
  private final AtomicInteger live = new AtomicInteger();
  private final AtomicLong telemetry = new AtomicLong();
  private final AtomicLong refusedBadCredentials = new AtomicLong();
  private final AtomicLong refusedNotAuthorized = new AtomicLong();
  private Tcp.ServerBinding binding;

  private DemoHub(ActorSystem<?> system, String hubHost, Authenticator authenticator, MqttSettings codec, int maxConnections,
      TelemetrySink sink) {
    this.hubHost = hubHost;
    this.authenticator = authenticator;
    this.codec = codec;
    this.maxConnections = maxConnections;
    this.sink = sink;
    this.materializer = Materializer.matFromSystem(system);
  }

  /**
   * Binds on {@code bindHost} (port 0: a free port) and serves until {@link #close()}.
   *
   * @param hubHost the host name the hub answers to: tokens must be signed for it
   */
  static DemoHub start(ActorSystem<?> system, String bindHost, ServerTls tls, String hubHost, Authenticator authenticator,
      MqttSettings codec, int maxConnections, Duration idleTimeout, TelemetrySink sink) throws DemoException {
    DemoHub hub = new DemoHub(system, hubHost, authenticator, codec, maxConnections, sink);
    try {
      hub.binding = Tcp.get(system)
          .bindWithTls(bindHost, 0, tls::newServerEngine, 128, List.of(), Optional.of(idleTimeout), session -> Optional.empty(),
              // The session's last packets (a refusal's CONNACK) must go out after its read side is done.
              org.apache.pekko.stream.IgnoreCancel$.MODULE$)
          .to(Sink.foreach(hub::accept))
          .run(hub.materializer)
          .toCompletableFuture().get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return hub;
    } catch (ExecutionException | TimeoutException e) {
      throw new DemoException("the hub stand-in cannot listen on " + bindHost + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DemoException("interrupted while the hub stand-in started", e);
    }
  }

  InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Telemetry messages accepted (and acknowledged) so far, duplicates included. */
  long telemetryReceived() {
    return telemetry.get();
  }

  /** Connections refused with CONNACK 4 (bad user name or token) and 5 (not authorized). */
  long refusals() {
    return refusedBadCredentials.get() + refusedNotAuthorized.get();
  }

  private void accept(Tcp.IncomingConnection connection) {
    if (live.incrementAndGet() > maxConnections) {
      live.decrementAndGet();
      log.warn("Demo hub: refusing a connection from {}: {} connections is the limit (clearway.demo.hub-max-connections)",
          connection.remoteAddress(), maxConnections);
      connection.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), materializer);
      return;
    }
    Flow<ByteString, ByteString, NotUsed> pipeline = Flow.<ByteString>create()
        .via(connections.<ByteString>flow())
        .via(MqttCodecFlow.create(codec).join(session()))
        .watchTermination((notUsed, done) -> {
          done.whenComplete((d, failure) -> live.decrementAndGet());
          return notUsed;
        });
    connection.handleWith(pipeline, materializer);
  }

  /** What a session answers to one packet, and whether the connection closes after it. */
  private record Reply(MqttPacket packet, boolean close) {
    static Reply of(MqttPacket packet) {
      return new Reply(packet, false);
    }

    static Reply closing(MqttPacket last) {
      return new Reply(last, true);
    }
  }

  private static final Reply CLOSE = new Reply(null, true);

  private Flow<MqttInbound, MqttPacket, NotUsed> session() {
    return Flow.<MqttInbound>create()
        .statefulMapConcat(() -> new Session()::answer)
        .takeWhile(r -> !r.close(), true)
        .mapConcat(r -> r.packet() == null ? List.<MqttPacket>of() : List.of(r.packet()));
  }

  /** One connection's state: who it is, once CONNECT was accepted. Used by its stream only. */
  private final class Session {
    private String identity;
    private String deviceId;
    private Optional<String> moduleId = Optional.empty();
    private long reportedVersion = 1;

    List<Reply> answer(MqttInbound in) {
      if (in instanceof MqttError error) {
        log.warn("Demo hub: a protocol violation from {}: {}", identity == null ? "a client" : identity, error.reason());
        return List.of(CLOSE); // 4.8: a protocol violation closes the connection
      }
      MqttPacket packet = (MqttPacket) in;
      if (identity == null) {
        return List.of(connect((MqttPacket.Connect) packet)); // the codec admits nothing else first (3.1.0-1)
      }
      if (packet instanceof MqttPacket.Publish p) {
        return publish(p);
      }
      if (packet instanceof MqttPacket.Subscribe s) {
        List<Integer> granted = new ArrayList<>();
        s.subscriptions().forEach(sub -> granted.add(Math.min(sub.qos(), 1))); // IoT Hub grants QoS 1 at most
        return List.of(Reply.of(new MqttPacket.SubAck(s.packetId(), granted)));
      }
      if (packet instanceof MqttPacket.Unsubscribe u) {
        return List.of(Reply.of(new MqttPacket.UnsubAck(u.packetId())));
      }
      if (packet instanceof MqttPacket.PingReq) {
        return List.of(Reply.of(new MqttPacket.PingResp()));
      }
      if (packet instanceof MqttPacket.Disconnect) {
        return List.of(CLOSE);
      }
      return List.of(); // acknowledgements of deliveries: this hub delivers nothing at QoS 1
    }

    private Reply connect(MqttPacket.Connect connect) {
      String clientId = connect.clientId();
      Optional<String> problem = clientId.isEmpty() ? Optional.of("CONNECT without a client id") : MqttUsername.check(connect.username(), clientId);
      if (problem.isPresent()) {
        return refuse(MqttPacket.ConnAck.BAD_USERNAME_OR_PASSWORD, problem.get());
      }
      Optional<String> token = connect.password().map(p -> p.decodeString(StandardCharsets.UTF_8));
      Authenticator.Outcome outcome = authenticator.authenticate(clientId, token, List.of());
      if (outcome instanceof Authenticator.Refused r) {
        return refuse(r.refusal() == Authenticator.Refusal.BAD_CREDENTIALS
            ? MqttPacket.ConnAck.BAD_USERNAME_OR_PASSWORD : MqttPacket.ConnAck.NOT_AUTHORIZED, r.detail());
      }
      var who = ((Authenticator.Authenticated) outcome).identity();
      identity = who.id();
      deviceId = who.deviceId();
      moduleId = who.moduleId();
      return Reply.of(new MqttPacket.ConnAck(false, MqttPacket.ConnAck.ACCEPTED));
    }

    private Reply refuse(int returnCode, String why) {
      (returnCode == MqttPacket.ConnAck.NOT_AUTHORIZED ? refusedNotAuthorized : refusedBadCredentials).incrementAndGet();
      log.warn("Demo hub ({}): refused a connection with CONNACK {}: {}", hubHost, returnCode, why);
      return Reply.closing(new MqttPacket.ConnAck(false, returnCode));
    }

    private List<Reply> publish(MqttPacket.Publish p) {
      if (p.qos() == 2) {
        log.warn("Demo hub: {} sent a QoS 2 PUBLISH, which IoT Hub does not accept; closing", identity);
        return List.of(CLOSE);
      }
      DeviceTopics.Publish topic = DeviceTopics.parsePublish(p.topic(), deviceId, moduleId);
      if (topic instanceof DeviceTopics.Telemetry) {
        telemetry.incrementAndGet();
        sink.accept(identity, p.payload());
        return p.qos() == 1 ? List.of(Reply.of(new MqttPacket.PubAck(p.packetId()))) : List.of();
      }
      if (topic instanceof DeviceTopics.TwinGet g) {
        return List.of(Reply.of(new MqttPacket.Publish(false, 0, false, DeviceTopics.twinResponse(200, g.rid(), Optional.empty()), 0,
            EMPTY_TWIN)));
      }
      if (topic instanceof DeviceTopics.TwinReportedPatch r) {
        return List.of(Reply.of(new MqttPacket.Publish(false, 0, false,
            DeviceTopics.twinResponse(204, r.rid(), Optional.of(++reportedVersion)), 0, ByteString.emptyByteString())));
      }
      if (topic instanceof DeviceTopics.MethodResponse) {
        return List.of(); // the demo's hub calls no methods
      }
      log.warn("Demo hub: closing {}'s connection: {}", identity, topic instanceof DeviceTopics.Foreign f ? f.reason()
          : ((DeviceTopics.Unsupported) topic).reason());
      return List.of(CLOSE);
    }
  }

  /** Stops accepting and closes every connection. */
  @Override
  public void close() {
    try {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Demo hub: unbinding failed: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connections.shutdown();
  }
}

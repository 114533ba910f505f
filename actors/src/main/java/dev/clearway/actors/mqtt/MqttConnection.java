package dev.clearway.actors.mqtt;

import dev.clearway.actors.identity.Authenticator;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.metrics.ConnectionMeters;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.actors.session.DeviceSession;
import dev.clearway.streams.iothub.DeviceTopics;
import dev.clearway.streams.iothub.PropertyBag;
import dev.clearway.streams.iothub.SystemKeys;
import dev.clearway.streams.mqtt.MqttDecodeError;
import dev.clearway.streams.mqtt.MqttError;
import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.router.Ingress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.util.ByteString;

/**
 * One device connection over MQTT: a state machine, {@code awaitingTls → awaitingConnect →
 * connected → closing}, fed by the connection's stream one inbound element at a time.
 *
 * <p>Backpressure: the stream delivers the next packet only after this actor acknowledges the
 * previous one. The acknowledgement waits while authentication or the session hand-over is
 * pending, so a device that outpaces the gateway simply stops being read.
 *
 * <p>Once connected, the device's telemetry does not come here: the connection's
 * {@link ConnectionPort} routes it and sends each QoS 1 PUBACK only after the router stored the
 * message durably in the queue of every endpoint it was routed to (or found no route for it),
 * through the {@link TelemetryLane} this actor hands it at the CONNACK. Twin and method traffic,
 * subscriptions, pings and violations still come here.
 *
 * <p>Refusals (CONNACK 4/5), protocol violations and topics naming another identity close the
 * connection; each is logged once, without secrets, and counted.
 */
public final class MqttConnection {

  /**
   * What the connection actor handles. A connection lives on the node that holds its socket, so its
   * messages are node-local and never serialized; what crosses nodes goes through the device session.
   */
  public sealed interface Command extends NoSerializationVerificationNeeded
      permits StreamInit, FromDevice, StreamCompleted, StreamFailed, TlsEstablished, HandshakeTimeout, ConnectTimeout,
          KeepAliveExpired, SessionAttached, SessionAttachFailed, FromSession, PublishFromDevice, RoutingFailed, CloseTimeout {}

  /**
   * The connection's stream is ready: {@code ackTo} is where acknowledgements go, {@code toDevice}
   * where packets for the device (and the close) go.
   */
  public record StreamInit(ActorRef<Ack> ackTo, ActorRef<ToDevice> toDevice) implements Command {}

  /** A decoded packet (or protocol error) from the device. */
  public record FromDevice(ActorRef<Ack> ackTo, MqttInbound element) implements Command {}

  /**
   * A PUBLISH of a connected device that is not telemetry (the port takes that itself): twin or
   * method traffic, or a violation that closes the connection.
   */
  record PublishFromDevice(ActorRef<Ack> ackTo, MqttPacket.Publish publish, TelemetryLane.Classified classified) implements Command {}

  /** The router did not take or could not store a telemetry message: the connection closes. */
  record RoutingFailed(Throwable cause) implements Command {}

  /** The device side closed. */
  public enum StreamCompleted implements Command { INSTANCE }

  /** The connection failed (reset, TLS error). */
  public record StreamFailed(Throwable cause) implements Command {}

  /** The TLS handshake completed; the client's certificate chain, if it sent one. */
  public record TlsEstablished(List<X509Certificate> peerChain) implements Command {}

  /** The inbound stream's acknowledgement: "send the next element" (node-local). */
  public enum Ack implements NoSerializationVerificationNeeded { INSTANCE }

  /** Packets and the close signal for the outbound stream (node-local). */
  public sealed interface ToDevice extends NoSerializationVerificationNeeded permits Send, TakeTelemetry, Close {}

  public record Send(MqttPacket packet) implements ToDevice {}

  /** The device is connected: from now on the port takes its telemetry itself ({@link TelemetryLane}). */
  record TakeTelemetry(TelemetryLane lane) implements ToDevice {}

  public enum Close implements ToDevice { INSTANCE }

  private enum HandshakeTimeout implements Command { INSTANCE }

  private enum ConnectTimeout implements Command { INSTANCE }

  private enum KeepAliveExpired implements Command { INSTANCE }

  private enum CloseTimeout implements Command { INSTANCE }

  private record SessionAttached(Identity identity, MqttPacket.Connect connect, DeviceSession.Attached attached) implements Command {}

  private record SessionAttachFailed(Throwable cause) implements Command {}

  private record FromSession(DeviceSession.Notification notification) implements Command {}

  /** What every connection of a listener shares. */
  /**
   * @param presence told (identity, true) when a connection starts serving an identity and
   *     (identity, false) when it stops: the uplink keeps that identity's hub connection meanwhile
   */
  public record Dependencies(
      MqttListenerSettings settings,
      Authenticator authenticator,
      ClusterSharding sharding,
      Ingress ingress,
      GatewayCounters counters,
      Clock clock,
      BiConsumer<String, Boolean> presence) {}

  private static final Object KEEP_ALIVE = "keep-alive";

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  /** The outbound stream, from {@link StreamInit} on. */
  private ActorRef<ToDevice> toDevice;
  private final String remote;
  private final ActorRef<DeviceSession.Notification> sessionAdapter;
  private List<X509Certificate> peerChain = List.of();
  private FromDevice early;
  private String attachingTo;
  private ActorRef<Ack> ackTo;
  private Identity identity;
  private ConnectionMeters meters;
  /** Where the port takes the telemetry, from the CONNACK on; its packet times feed the keep-alive check. */
  private TelemetryLane lane;
  private Duration keepAlive = Duration.ZERO;
  // Cloud-to-device deliveries awaiting the device's PUBACK: packet id -> lock token. Bounded by the
  // session's in-flight window (clearway.sessions.max-inflight-cloud-to-device).
  private final Map<Integer, String> inflightDeliveries = new HashMap<>();
  private int lastPacketId;

  private MqttConnection(ActorContext<Command> context, TimerScheduler<Command> timers, Dependencies deps, String remote) {
    this.context = context;
    this.timers = timers;
    this.deps = deps;
    this.remote = remote;
    this.sessionAdapter = context.messageAdapter(DeviceSession.Notification.class, FromSession::new);
  }

  /**
   * A connection actor for one accepted socket; its stream introduces itself with {@link StreamInit}.
   * When the actor stops, its stream's port closes the socket.
   *
   * @param remote the peer address, for logs
   */
  public static Behavior<Command> create(Dependencies deps, String remote) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setLoggerName(MqttConnection.class); // functional behaviours would log under Pekko's class names
      timers.startSingleTimer(HandshakeTimeout.INSTANCE, deps.settings().tlsHandshakeTimeout());
      return new MqttConnection(ctx, timers, deps, remote).awaitingTls();
    }));
  }

  // --- awaitingTls: the TLS handshake has its own timeout, separate from CONNECT's ---------------

  private Behavior<Command> awaitingTls() {
    return Behaviors.receive(Command.class)
        .onMessage(StreamInit.class, this::onInit)
        .onMessage(TlsEstablished.class, t -> {
          peerChain = t.peerChain();
          timers.cancel(HandshakeTimeout.INSTANCE);
          if (early != null) {
            return onFirstPacket(early);
          }
          timers.startSingleTimer(ConnectTimeout.INSTANCE, deps.settings().connectTimeout());
          return awaitingConnect();
        })
        // The TLS stage reports the handshake before it passes on any bytes, so this is only a
        // guard: a packet must never be judged without the client certificate it came with.
        .onMessage(FromDevice.class, f -> {
          early = f;
          return Behaviors.same();
        })
        .onMessageEquals(HandshakeTimeout.INSTANCE, () -> closeForProtocol("the TLS handshake did not complete within "
            + deps.settings().tlsHandshakeTimeout(), "tls_handshake_timeout"))
        .onMessage(StreamCompleted.class, c -> stopQuietly())
        .onMessage(StreamFailed.class, f -> handshakeFailed(f.cause()))
        .build();
  }

  /** The TLS stage refused the handshake (plaintext, an unsupported protocol version, ...) and sent its alert. */
  private Behavior<Command> handshakeFailed(Throwable cause) {
    context.getLog().info("unauthenticated client ({}): closing: the TLS handshake failed: {}", remote,
        cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
    deps.counters().increment(GatewayCounters.PROTOCOL_ERROR, "tls_handshake_failed");
    return stopQuietly();
  }

  private Behavior<Command> onInit(StreamInit init) {
    ackTo = init.ackTo();
    toDevice = init.toDevice();
    ackTo.tell(Ack.INSTANCE);
    return Behaviors.same();
  }

  // --- awaitingConnect ---------------------------------------------------------------------------

  private Behavior<Command> awaitingConnect() {
    return Behaviors.receive(Command.class)
        .onMessage(StreamInit.class, this::onInit)
        .onMessage(FromDevice.class, this::onFirstPacket)
        .onMessageEquals(ConnectTimeout.INSTANCE, () -> closeForProtocol("no CONNECT within " + deps.settings().connectTimeout(),
            "connect_timeout"))
        .onMessage(StreamCompleted.class, c -> stopQuietly())
        .onMessage(StreamFailed.class, f -> stopQuietly())
        .build();
  }

  private Behavior<Command> onFirstPacket(FromDevice f) {
    ackTo = f.ackTo();
    if (f.element() instanceof MqttError error) {
      if (error instanceof MqttDecodeError d && d.unacceptableProtocolLevel()) {
        send(new MqttPacket.ConnAck(false, MqttPacket.ConnAck.UNACCEPTABLE_PROTOCOL_VERSION)); // 3.1.2-2
      }
      return protocolError(error);
    }
    MqttPacket.Connect connect = (MqttPacket.Connect) f.element(); // the codec admits nothing else first (3.1.0-1)
    timers.cancel(ConnectTimeout.INSTANCE);
    return authenticate(connect);
  }

  private Behavior<Command> authenticate(MqttPacket.Connect connect) {
    String clientId = connect.clientId();
    if (clientId.isEmpty()) {
      return refuse(clientId, MqttPacket.ConnAck.IDENTIFIER_REJECTED, "identifier_rejected",
          "CONNECT without a client id (IoT Hub needs {deviceId}[/{moduleId}])");
    }
    Optional<String> usernameProblem = MqttUsername.check(connect.username(), clientId);
    if (usernameProblem.isPresent()) {
      return refuse(clientId, MqttPacket.ConnAck.BAD_USERNAME_OR_PASSWORD, "bad_credentials", "'" + clientId + "': " + usernameProblem.get());
    }
    Optional<String> token = connect.password().map(p -> p.decodeString(StandardCharsets.UTF_8));
    Authenticator.Outcome outcome = deps.authenticator().authenticate(clientId, token, peerChain);
    if (outcome instanceof Authenticator.Refused r) {
      boolean bad = r.refusal() == Authenticator.Refusal.BAD_CREDENTIALS;
      return refuse(clientId, bad ? MqttPacket.ConnAck.BAD_USERNAME_OR_PASSWORD : MqttPacket.ConnAck.NOT_AUTHORIZED,
          bad ? "bad_credentials" : "not_authorized", r.detail());
    }
    Identity who = ((Authenticator.Authenticated) outcome).identity();
    // Take over the identity's session (closing any older connection, on any node) before CONNACK.
    attachingTo = who.id();
    context.ask(DeviceSession.Attached.class,
        deps.sharding().entityRefFor(DeviceSession.TYPE_KEY, who.id()),
        deps.settings().sessionAttachTimeout(),
        replyTo -> new DeviceSession.Attach(sessionAdapter, connect.cleanSession(), replyTo),
        (attached, failure) -> attached != null ? new SessionAttached(who, connect, attached) : new SessionAttachFailed(failure));
    return attaching();
  }

  private Behavior<Command> attaching() {
    return Behaviors.receive(Command.class)
        .onMessage(SessionAttached.class, this::onAttached)
        .onMessage(SessionAttachFailed.class, f -> {
          send(new MqttPacket.ConnAck(false, MqttPacket.ConnAck.SERVER_UNAVAILABLE));
          deps.counters().connectFailed(attachingTo, "server_unavailable");
          return close("the device session did not answer: " + f.cause().getMessage(), null);
        })
        // The device left while its session was being taken over: the session may already count
        // this connection as current, so tell it this one is gone.
        .onMessage(StreamCompleted.class, c -> detachWhileAttaching())
        .onMessage(StreamFailed.class, f -> detachWhileAttaching())
        .build();
  }

  private Behavior<Command> onAttached(SessionAttached a) {
    identity = a.identity();
    send(new MqttPacket.ConnAck(a.attached().sessionPresent(), MqttPacket.ConnAck.ACCEPTED));
    meters = deps.counters().connection(identity.id());
    meters.connected();
    deps.counters().connected().incrementAndGet();
    deps.presence().accept(identity.id(), true);
    context.getLog().info("{} connected from {} (clean session {}, keep-alive {}s)", identity.id(), remote,
        a.connect().cleanSession() ? 1 : 0, a.connect().keepAliveSeconds());
    if (!identity.isModule()) {
      // Through a gateway the Azure device SDKs never subscribe to cloud-to-device messages
      // (MqttMessaging.start skips it when GatewayHostName is set): IoT Edge's hub delivers them to
      // every connected device, and so do we.
      sessionRef().tell(new DeviceSession.Subscribe(sessionAdapter, Set.of(), Set.of(DeviceSession.Feature.CLOUD_TO_DEVICE)));
    }
    if (a.connect().keepAliveSeconds() > 0) {
      // MQTT 3.1.2-24: close after one and a half keep-alive periods of silence.
      keepAlive = Duration.ofMillis(a.connect().keepAliveSeconds() * 1500L);
      timers.startSingleTimer(KEEP_ALIVE, KeepAliveExpired.INSTANCE, keepAlive);
    }
    // Before the first packet after CONNECT is read: the port takes the telemetry from then on.
    lane = new TelemetryLane(identity, deps.ingress(), deps.clock(), meters, deps.settings().maxPendingPublishes());
    toDevice.tell(new TakeTelemetry(lane));
    ack();
    return connected();
  }

  // --- connected ---------------------------------------------------------------------------------

  private Behavior<Command> connected() {
    // One handler, not a builder case per command: this state is what every connected device holds.
    return Behaviors.receiveMessage(this::whileConnected);
  }

  private Behavior<Command> whileConnected(Command command) {
    if (command instanceof FromDevice f) {
      return onPacket(f);
    } else if (command instanceof PublishFromDevice p) {
      return onPublish(p);
    } else if (command instanceof RoutingFailed f) {
      return close("the router did not accept a message: " + f.cause().getMessage(), "ingress_failed");
    } else if (command instanceof FromSession fs) {
      return onFromSession(fs);
    } else if (command == KeepAliveExpired.INSTANCE) {
      return onKeepAliveExpired();
    } else if (command instanceof StreamCompleted) {
      return disconnected("the device closed the connection");
    } else if (command instanceof StreamFailed f) {
      return disconnected("the connection failed: " + f.cause().getMessage());
    }
    return Behaviors.unhandled();
  }

  /**
   * The port notes when it last read a packet; the timer looks at that when it fires rather than
   * being restarted for every packet.
   */
  private Behavior<Command> onKeepAliveExpired() {
    long silentNanos = System.nanoTime() - lane.lastHeardNanos;
    if (lane.readPaused) {
      // The silence may be ours: nothing is read while messages wait for the store (a full
      // store, say). Not the device's fault; wait another period.
      timers.startSingleTimer(KEEP_ALIVE, KeepAliveExpired.INSTANCE, keepAlive);
      return Behaviors.same();
    }
    if (silentNanos < keepAlive.toNanos()) {
      timers.startSingleTimer(KEEP_ALIVE, KeepAliveExpired.INSTANCE, Duration.ofNanos(keepAlive.toNanos() - silentNanos));
      return Behaviors.same();
    }
    return close("no packet for 1.5 x keep-alive (" + keepAlive + ")", "keep_alive");
  }

  private Behavior<Command> onPacket(FromDevice f) {
    ackTo = f.ackTo();
    MqttInbound element = f.element();
    if (element instanceof MqttError error) {
      return protocolError(error);
    }
    if (element instanceof MqttPacket.Subscribe s) {
      return onSubscribe(s);
    }
    if (element instanceof MqttPacket.Unsubscribe u) {
      Set<DeviceSession.Feature> gone = new HashSet<>();
      u.topicFilters().forEach(filter -> featureOf(filter).ifPresent(gone::add));
      sessionRef().tell(new DeviceSession.Unsubscribe(sessionAdapter, Set.copyOf(u.topicFilters()), gone));
      send(new MqttPacket.UnsubAck(u.packetId()));
      return ackAndStay();
    }
    if (element instanceof MqttPacket.PingReq) {
      send(new MqttPacket.PingResp());
      return ackAndStay();
    }
    if (element instanceof MqttPacket.Disconnect) {
      return disconnected("the device disconnected");
    }
    if (element instanceof MqttPacket.PubAck a) {
      // Completes a cloud-to-device delivery (IoT Hub over MQTT has no reject or abandon).
      String lockToken = inflightDeliveries.remove(a.packetId());
      if (lockToken != null) {
        sessionRef().tell(new DeviceSession.CloudToDeviceAcknowledged(sessionAdapter, lockToken));
      }
      return ackAndStay();
    }
    return closeForProtocol("unexpected " + element.getClass().getSimpleName() + " from a device", "unexpected_packet");
  }

  private Behavior<Command> onPublish(PublishFromDevice f) {
    ackTo = f.ackTo();
    MqttPacket.Publish p = f.publish();
    if (f.classified() instanceof TelemetryLane.Violation v) {
      return v.foreignTopic() ? closeForTopic(v.reason(), GatewayCounters.TOPIC_PUBLISH) : closeForProtocol(v.reason(), v.kind());
    }
    // Twin and method traffic belongs to the identity's session, wherever it runs.
    DeviceTopics.Publish parsed = ((TelemetryLane.SessionTraffic) f.classified()).parsed();
    if (parsed instanceof DeviceTopics.TwinGet g) {
      deps.counters().twinGet(GatewayCounters.EDGE_HUB, identity.id());
      sessionRef().tell(new DeviceSession.TwinGet(sessionAdapter, g.rid()));
    } else if (parsed instanceof DeviceTopics.TwinReportedPatch r) {
      deps.counters().reportedProperties(GatewayCounters.EDGE_HUB, identity.id());
      context.getLog().debug("{}: reported patch, request {}", identity.id(), r.rid());
      sessionRef().tell(new DeviceSession.ReportedPatch(sessionAdapter, r.rid(), p.payload().toArray()));
    } else if (parsed instanceof DeviceTopics.MethodResponse r) {
      sessionRef().tell(new DeviceSession.MethodResponse(sessionAdapter, r.rid(), r.status(), p.payload().toArray()));
    }
    if (p.qos() == 1) {
      send(new MqttPacket.PubAck(p.packetId())); // the port sends it behind the telemetry acknowledgements owed before it
    }
    return ackAndStay();
  }

  private Behavior<Command> onSubscribe(MqttPacket.Subscribe s) {
    List<Integer> codes = new ArrayList<>();
    Set<String> accepted = new HashSet<>();
    Set<DeviceSession.Feature> features = new HashSet<>();
    for (MqttPacket.Subscription sub : s.subscriptions()) {
      DeviceTopics.SubscriptionParse parsed = DeviceTopics.parseSubscription(sub.topicFilter(), identity.deviceId(), identity.moduleId());
      if (parsed.foreign()) {
        return closeForTopic(parsed.refusal(), GatewayCounters.TOPIC_SUBSCRIBE);
      }
      if (parsed.subscription().isEmpty()) {
        context.getLog().info("{}: refused subscription: {}", identity.id(), parsed.refusal());
        codes.add(MqttPacket.SubAck.FAILURE);
      } else {
        codes.add(Math.min(sub.qos(), 1)); // QoS 2 is granted as QoS 1, as IoT Hub does
        accepted.add(sub.topicFilter());
        featureOf(parsed.subscription().get()).ifPresent(features::add);
      }
    }
    if (!accepted.isEmpty()) {
      sessionRef().tell(new DeviceSession.Subscribe(sessionAdapter, accepted, features));
    }
    context.getLog().debug("{}: SUBSCRIBE {} -> {}", identity.id(), s.subscriptions(), codes);
    send(new MqttPacket.SubAck(s.packetId(), codes));
    return ackAndStay();
  }

  private Behavior<Command> onFromSession(FromSession fs) {
    DeviceSession.Notification n = fs.notification();
    if (n instanceof DeviceSession.TakenOver) {
      return close("another connection took over " + identity.id(), "taken_over");
    }
    if (n instanceof DeviceSession.DeliverCloudToDevice d) {
      int packetId = nextPacketId();
      inflightDeliveries.put(packetId, d.lockToken());
      String topic = identity.isModule()
          ? DeviceTopics.moduleInput(identity.deviceId(), identity.moduleId().get(), d.systemProperties().getOrDefault("inputName", ""), bag(d))
          : DeviceTopics.cloudToDevice(identity.deviceId(), bag(d));
      context.getLog().debug("{}: delivering {} as packet {} on {}", identity.id(), d.lockToken(), packetId, topic);
      send(new MqttPacket.Publish(false, 1, false, topic, packetId, ByteString.fromArray(d.body())));
    } else if (n instanceof DeviceSession.TwinResponse r) {
      context.getLog().debug("{}: twin response {} to request {}", identity.id(), r.status(), r.requestId());
      Optional<Long> version = r.status() == 204 ? Optional.of(r.version()) : Optional.empty();
      send(new MqttPacket.Publish(false, 0, false, DeviceTopics.twinResponse(r.status(), r.requestId(), version), 0,
          ByteString.fromArray(r.body())));
    } else if (n instanceof DeviceSession.DesiredPatch d) {
      send(new MqttPacket.Publish(false, 0, false, DeviceTopics.desiredPatch(d.version()), 0, ByteString.fromArray(d.json())));
    } else if (n instanceof DeviceSession.MethodRequest m) {
      send(new MqttPacket.Publish(false, 0, false, DeviceTopics.methodRequest(m.method(), m.requestId()), 0,
          ByteString.fromArray(m.payload())));
    }
    return Behaviors.same();
  }

  /** The property bag of a delivery: system properties under their {@code $.} keys, then the application's. */
  private String bag(DeviceSession.DeliverCloudToDevice d) {
    Map<String, String> bag = new LinkedHashMap<>();
    d.systemProperties().forEach((name, value) -> SystemKeys.bagKey(name).ifPresent(k -> bag.put(k, value)));
    bag.putIfAbsent("$.to", "/devices/" + identity.deviceId() + "/messages/deviceBound");
    bag.putAll(d.properties());
    return PropertyBag.encode(bag);
  }

  /** The next MQTT packet id not in flight (2.3.1: non-zero, 16 bits). */
  private int nextPacketId() {
    do {
      lastPacketId = lastPacketId == 65535 ? 1 : lastPacketId + 1;
    } while (inflightDeliveries.containsKey(lastPacketId));
    return lastPacketId;
  }

  /** The session feature a subscription asks for; twin responses need none (they answer the device). */
  private static Optional<DeviceSession.Feature> featureOf(DeviceTopics.Subscription s) {
    return switch (s) {
      case CLOUD_TO_DEVICE -> Optional.of(DeviceSession.Feature.CLOUD_TO_DEVICE);
      case MODULE_INPUTS -> Optional.of(DeviceSession.Feature.MODULE_INPUTS);
      case DESIRED_PROPERTIES -> Optional.of(DeviceSession.Feature.DESIRED_PROPERTIES);
      case METHODS -> Optional.of(DeviceSession.Feature.METHODS);
      case TWIN_RESPONSES -> Optional.empty();
    };
  }

  private Optional<DeviceSession.Feature> featureOf(String topicFilter) {
    return DeviceTopics.parseSubscription(topicFilter, identity.deviceId(), identity.moduleId()).subscription()
        .flatMap(MqttConnection::featureOf);
  }

  // --- closing -----------------------------------------------------------------------------------

  private Behavior<Command> protocolError(MqttError error) {
    String where = error.section().isEmpty() ? "" : " [MQTT-" + error.section() + "]";
    return closeForProtocol("protocol violation" + where + ": " + error.reason(), error.section().isEmpty() ? "limit" : error.section());
  }

  private Behavior<Command> refuse(String clientId, int returnCode, String reason, String detail) {
    send(new MqttPacket.ConnAck(false, returnCode));
    deps.counters().connectFailed(clientId, reason);
    return close("refused (CONNACK " + returnCode + "): " + detail, null); // never connected: no disconnect
  }

  /** Closes for a protocol violation or a timeout, counted as {@code protocol_error{kind}}. */
  private Behavior<Command> closeForProtocol(String reason, String kind) {
    deps.counters().increment(GatewayCounters.PROTOCOL_ERROR, kind);
    return close(reason, "protocol_error");
  }

  /** Closes for a topic naming another identity, counted as {@code unauthorized_topic{operation}}. */
  private Behavior<Command> closeForTopic(String reason, String operation) {
    deps.counters().increment(GatewayCounters.UNAUTHORIZED_TOPIC, operation);
    return close(reason, "unauthorized_topic");
  }

  /**
   * Logs once, flushes what is queued for the device, then closes. An authenticated connection
   * counts as a disconnect for {@code disconnectReason}.
   */
  private Behavior<Command> close(String reason, String disconnectReason) {
    context.getLog().info("{} ({}): closing: {}", identity == null ? "unauthenticated client" : identity.id(), remote, reason);
    return closing(disconnectReason);
  }

  private Behavior<Command> disconnected(String reason) {
    context.getLog().info("{} ({}): {}", identity == null ? "unauthenticated client" : identity.id(), remote, reason);
    return closing("client");
  }

  private Behavior<Command> closing(String disconnectReason) {
    timers.cancelAll();
    closeOutbound(); // completes the outbound stream after what is queued, then TLS and TCP close
    if (identity != null) {
      meters.disconnected(disconnectReason);
      sessionRef().tell(new DeviceSession.Detach(sessionAdapter));
      deps.counters().connected().decrementAndGet();
      deps.presence().accept(identity.id(), false);
    }
    // Give the queued packets (a CONNACK with its refusal code, say) time to reach the device,
    // then close the socket whether or not the peer answered our TLS close_notify.
    timers.startSingleTimer(CloseTimeout.INSTANCE, deps.settings().closeLinger());
    // Nothing more is read: no acknowledgement is sent in this state.
    return Behaviors.receive(Command.class)
        .onMessage(StreamCompleted.class, c -> stopAndCloseSocket())
        .onMessage(StreamFailed.class, f -> stopAndCloseSocket())
        .onMessageEquals(CloseTimeout.INSTANCE, this::stopAndCloseSocket)
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> detachWhileAttaching() {
    deps.sharding().entityRefFor(DeviceSession.TYPE_KEY, attachingTo).tell(new DeviceSession.Detach(sessionAdapter));
    return stopQuietly();
  }

  /** Stops; the port sees this actor stop and closes the socket at once ({@link ConnectionPort}). */
  private Behavior<Command> stopAndCloseSocket() {
    return Behaviors.stopped();
  }

  private Behavior<Command> stopQuietly() {
    closeOutbound();
    return stopAndCloseSocket();
  }

  private void closeOutbound() {
    if (toDevice != null) { // null only if the stream never started; its port closes the socket on our stop then
      toDevice.tell(Close.INSTANCE);
    }
  }

  // --- helpers -----------------------------------------------------------------------------------

  private org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef<DeviceSession.Command> sessionRef() {
    return deps.sharding().entityRefFor(DeviceSession.TYPE_KEY, identity.id());
  }

  private void send(MqttPacket packet) {
    toDevice.tell(new Send(packet));
  }

  private void ack() {
    ackTo.tell(Ack.INSTANCE);
  }

  private Behavior<Command> ackAndStay() {
    ack();
    return Behaviors.same();
  }
}

package dev.clearway.actors.upstream;

import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.actors.metrics.SendMeters;
import dev.clearway.actors.session.DeviceSession;
import dev.clearway.actors.session.TwinDocument;
import dev.clearway.routes.Message;
import dev.clearway.streams.iothub.HubTopics;
import dev.clearway.streams.iothub.PropertyBag;
import dev.clearway.streams.iothub.SystemKeys;
import dev.clearway.streams.mqtt.MqttError;
import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.store.Position;
import dev.clearway.streams.tcp.TcpTransport;
import dev.clearway.streams.tls.TlsBufferPool;
import dev.clearway.streams.tls.TlsFlow;
import dev.clearway.tls.ClientTls;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * One identity's connection to the hub, speaking IoT Hub's MQTT device protocol as that device (or
 * module) would: CONNECT with a SAS token ({@link HubCredentials}), SUBSCRIBE to cloud-to-device,
 * twin and method topics, then
 * <ul>
 *   <li>telemetry the {@link UpstreamSink} hands it, published at QoS 1 within its window, each
 *       confirmation (PUBACK) reported back so the sink can acknowledge the store;
 *   <li>what the hub sends, handed to the identity's {@link DeviceSession}: cloud-to-device
 *       messages (PUBACK to the hub only once the device acknowledged), desired patches, method
 *       calls (the session's answer, 404 when the device is away, goes back up), twin documents;
 *   <li>reported-property patches the session kept while offline, sent up when the link is up.
 * </ul>
 * The pipeline is TCP ⇄ TLS (the hub's certificate checked against the trust bundle and the host
 * name) ⇄ MQTT codec (client side) ⇄ this actor. A lost connection is retried with exponential
 * backoff and jitter; what was in flight is handed back to the sink, to be sent again: at least
 * once. The link closes itself after {@code idle-timeout} without traffic or a connected device,
 * when the sink agrees.
 */
public final class HubLink {

  /** Messages to a link; node-local, never serialized (the session reaches it through an adapter). */
  public sealed interface Command extends NoSerializationVerificationNeeded
      permits Deliver, DevicePresent, Close, StreamInit, FromHub, StreamEnded, ConnectTimedOut, Tick, MethodAnswered,
          CloudToDeviceDone, FromSession {}

  /** What the identity's session asks: send reported properties up, or fetch the twin. */
  private record FromSession(DeviceSession.UplinkRequest request) implements Command {}

  /** A message read from the store, to send as its identity's telemetry; not after {@code expiresAt}. */
  record Outgoing(Position position, Message message, Instant expiresAt) {}

  /** From the sink: send these (the sink keeps within the window). */
  record Deliver(List<Outgoing> messages) implements Command {}

  /** From the sink: whether a device is connected to the gateway as this identity. */
  record DevicePresent(boolean present) implements Command {}

  /** From the sink: close now (idle and agreed, or the gateway stops). */
  enum Close implements Command { INSTANCE }

  // pipeline events, tagged with the connection attempt they belong to
  /** The attempt's {@link LinkPort} started: packets to send, {@link Ack} and {@link Close} go to {@code port}. */
  record StreamInit(int attempt, org.apache.pekko.actor.ActorRef port) implements Command {}

  /** What the codec decoded from the hub since the last one was taken (at most max-in-flight-per-identity packets). */
  record FromHub(int attempt, List<MqttInbound> inbound) implements Command {}

  record StreamEnded(int attempt, Throwable failure) implements Command {}

  private record ConnectTimedOut(int attempt) implements Command {}

  /** To the port: the last {@link FromHub} was handled, hand over the next. */
  enum Ack { INSTANCE }

  private enum Tick implements Command { KEEP_ALIVE, RETRY, RENEW_TOKEN, IDLE_CHECK }

  private record MethodAnswered(String rid, DeviceSession.MethodResult result) implements Command {}

  private record CloudToDeviceDone(DeviceSession.CloudToDeviceOutcome outcome) implements Command {}

  /** What a link needs from the rest of the gateway. */
  record Dependencies(UpstreamSettings settings, HubCredentials credentials, Optional<ClientTls> tls, TcpTransport tcp, TlsBufferPool tlsBuffers, Executor handshakeTasks,
      BidiFlow<ByteString, MqttInbound, MqttPacket, ByteString, NotUsed> codec, ClusterSharding sharding, GatewayCounters counters, Clock clock,
      ActorRef<UpstreamSink.Command> sink) {}

  private enum State { DISCONNECTED, CONNECTING, SUBSCRIBING, UP, CLOSED }

  /** The longest a method call can take (IoT Hub's limit, 300 s) and a margin: the session answers 504 itself before. */
  private static final Duration METHOD_ANSWER_TIMEOUT = Duration.ofSeconds(310);

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Dependencies deps;
  private final String identity;
  private final String deviceId;
  private final Optional<String> moduleId;
  private final Materializer materializer;
  private final ActorRef<DeviceSession.CloudToDeviceOutcome> c2dOutcomes;
  private final ActorRef<DeviceSession.UplinkRequest> forSession;
  private final SendMeters sendMeters;

  private State state = State.DISCONNECTED;
  private int attempt;
  private int failures;
  private org.apache.pekko.actor.ActorRef out;
  private SharedKillSwitch socket;
  private int nextPacketId = 1;
  private int subscribePacketId;
  private final Map<Integer, Sending> inflight = new LinkedHashMap<>();
  private final List<Position> confirmed = new ArrayList<>();
  private final Map<String, PendingRequest> twinRequests = new HashMap<>();
  private final Map<String, Integer> c2dAwaitingDevice = new HashMap<>();
  private long nextRid = 1;
  private long nextLock = 1;
  private long lastSentNanos;
  private long lastHeardNanos;
  private long lastTrafficNanos;
  private boolean devicePresent;
  private String lastFailure;

  /** A message published and not yet confirmed, and when it was handed to the connection ({@link System#nanoTime}). */
  private record Sending(Outgoing outgoing, long sentNanos) {}

  /** A twin request in flight: a GET for the session, or a reported patch with its sequence. */
  private record PendingRequest(boolean get, long sequence, ActorRef<DeviceSession.Command> session) {}

  static Behavior<Command> create(String identity, Dependencies deps) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setLoggerName(HubLink.class);
      HubLink link = new HubLink(ctx, timers, deps, identity);
      timers.startTimerWithFixedDelay(Tick.IDLE_CHECK, idleCheckInterval(deps.settings()));
      link.connect();
      return link.behavior();
    }));
  }

  private static Duration idleCheckInterval(UpstreamSettings s) {
    Duration quarter = s.idleTimeout().dividedBy(4);
    return quarter.compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : quarter.isZero() ? Duration.ofMillis(1) : quarter;
  }

  private HubLink(ActorContext<Command> context, TimerScheduler<Command> timers, Dependencies deps, String identity) {
    this.context = context;
    this.timers = timers;
    this.deps = deps;
    this.identity = identity;
    int slash = identity.indexOf('/');
    this.deviceId = slash < 0 ? identity : identity.substring(0, slash);
    this.moduleId = slash < 0 ? Optional.empty() : Optional.of(identity.substring(slash + 1));
    this.materializer = Materializer.matFromSystem(context.getSystem());
    this.c2dOutcomes = context.messageAdapter(DeviceSession.CloudToDeviceOutcome.class, CloudToDeviceDone::new);
    this.forSession = context.messageAdapter(DeviceSession.UplinkRequest.class, FromSession::new);
    this.sendMeters = deps.counters().sender(identity, GatewayCounters.UPSTREAM, "");
    this.lastTrafficNanos = System.nanoTime();
  }

  private Behavior<Command> behavior() {
    // One handler, not a builder case per command: every identity with a link holds this.
    return Behaviors.receiveMessage(this::onCommand);
  }

  private Behavior<Command> onCommand(Command command) {
    if (command instanceof Deliver d) {
      return onDeliver(d);
    } else if (command instanceof FromHub f) {
      return onFromHub(f);
    } else if (command instanceof DevicePresent p) {
      devicePresent = p.present();
      lastTrafficNanos = System.nanoTime();
    } else if (command instanceof StreamInit i) {
      return onStreamInit(i);
    } else if (command instanceof StreamEnded e) {
      if (e.attempt() == attempt && state != State.DISCONNECTED) {
        String why = e.failure() == null ? "the hub closed the connection" : describe(e.failure());
        lost(why, true);
      }
    } else if (command instanceof ConnectTimedOut t) {
      if (t.attempt() == attempt && (state == State.CONNECTING || state == State.SUBSCRIBING)) {
        lost("no CONNACK/SUBACK within " + deps.settings().connectTimeout().toSeconds() + "s (clearway.upstream.connect-timeout)", true);
      }
    } else if (command instanceof Tick tick) {
      return onTick(tick);
    } else if (command == Close.INSTANCE) {
      return onClose();
    } else if (command instanceof FromSession f) {
      return onFromSession(f);
    } else if (command instanceof MethodAnswered m) {
      if (state == State.UP) {
        send(new MqttPacket.Publish(false, 0, false, HubTopics.methodResponse(m.result().status(), m.rid()), 0,
            ByteString.fromArray(m.result().payload())));
      }
    } else if (command instanceof CloudToDeviceDone d) {
      return onCloudToDeviceDone(d);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onTick(Tick tick) {
    switch (tick) {
      case KEEP_ALIVE -> {
        return onKeepAlive();
      }
      case RETRY -> {
        if (state == State.DISCONNECTED) {
          connect();
        }
      }
      case RENEW_TOKEN -> {
        if (state == State.UP) {
          // MQTT cannot refresh a token in place: reconnect at once with a fresh one.
          context.getLog().debug("{}: renewing the uplink's token", identity);
          disconnect();
          notifyDown("token renewal", false);
          connect();
        }
      }
      case IDLE_CHECK -> {
        long idle = System.nanoTime() - lastTrafficNanos;
        if (!devicePresent && inflight.isEmpty() && idle >= deps.settings().idleTimeout().toNanos()) {
          deps.sink().tell(new UpstreamSink.IdleCloseRequest(identity));
        }
      }
    }
    return Behaviors.same();
  }

  // --- connecting -------------------------------------------------------------------------------------

  private void connect() {
    attempt++;
    HubCredentials.Token token;
    Instant expiry = deps.clock().instant().plus(deps.settings().tokenTimeToLive());
    try {
      token = deps.credentials().token(identity, expiry);
    } catch (HubCredentials.NoCredentialsException e) {
      // Nothing to connect with: wait (the registry or the settings may change) and say why once.
      failed("no credentials for " + identity + ": " + e.getMessage(), false);
      return;
    }
    state = State.CONNECTING;
    UpstreamSettings s = deps.settings();
    socket = KillSwitches.shared("uplink-" + attempt);
    Flow<ByteString, ByteString, ?> tcp = deps.tcp().outgoing(s.address(), s.connectTimeout(), true);
    // The same TLS stage as the listener's, in client mode: the engine checks the hub's chain and
    // host name in the handshake; completing the outbound side sends close_notify.
    Flow<ByteString, ByteString, ?> transport = s.tls()
        ? TlsFlow.create(() -> deps.tls().orElseThrow().newClientEngine(s.address().getHostString(), s.address().getPort()),
            session -> { }, deps.tlsBuffers(), deps.handshakeTasks()).join(tcp)
        : tcp;
    MqttPacket.Connect connectPacket = new MqttPacket.Connect(false, (int) s.keepAlive().toSeconds(), HubTopics.clientId(deviceId, moduleId),
        Optional.empty(), Optional.of(HubTopics.userName(s.hubHostname(), HubTopics.clientId(deviceId, moduleId))),
        Optional.of(ByteString.fromString(token.password())));
    // Packets decoded while this actor is busy are handed over together (at most a window's worth):
    // one message for a burst of PUBACKs, and one confirmation to the sink for all of them.
    Flow.<ByteString>create().via(socket.flow()).via(transport)
        .join(deps.codec())
        .join(Flow.fromGraph(new LinkPort(context.getSelf(), attempt, connectPacket, s.outboundBuffer(), s.maxInFlightPerIdentity())))
        .run(materializer);
    timers.startSingleTimer("connect-timeout", new ConnectTimedOut(attempt), s.connectTimeout());
    lastSentNanos = System.nanoTime();
    lastHeardNanos = System.nanoTime();
    context.getLog().debug("{}: connecting to {} with a token signed with {}", identity, s.addressText(), token.signedWith());
  }

  private Behavior<Command> onStreamInit(StreamInit i) {
    if (i.attempt() == attempt && state != State.DISCONNECTED) {
      out = i.port();
      out.tell(Ack.INSTANCE, org.apache.pekko.actor.ActorRef.noSender()); // the hub's packets may come now
    }
    return Behaviors.same();
  }

  private Behavior<Command> onFromHub(FromHub f) {
    for (MqttInbound inbound : f.inbound()) {
      if (f.attempt() != attempt || state == State.DISCONNECTED) {
        return Behaviors.same(); // an earlier packet of the batch ended this connection
      }
      lastHeardNanos = System.nanoTime();
      if (inbound instanceof MqttError error) {
        lost("a malformed packet from the hub: " + error.reason(), true);
        return Behaviors.same();
      }
      MqttPacket packet = (MqttPacket) inbound;
      if (state == State.CONNECTING) {
        onConnAck(packet);
      } else if (state == State.SUBSCRIBING && packet instanceof MqttPacket.SubAck ack && ack.packetId() == subscribePacketId) {
        onSubscribed(ack);
      } else if (state == State.SUBSCRIBING || state == State.UP) {
        onUp(packet);
      }
    }
    flushConfirmed(); // the batch's confirmations, in one message to the sink
    if (f.attempt() == attempt && out != null) {
      out.tell(Ack.INSTANCE, org.apache.pekko.actor.ActorRef.noSender()); // read on only now: the hub feels our pace
    }
    return Behaviors.same();
  }

  private void onConnAck(MqttPacket packet) {
    if (!(packet instanceof MqttPacket.ConnAck ack)) {
      lost("the hub sent " + packet.getClass().getSimpleName() + " before CONNACK", true);
      return;
    }
    if (ack.returnCode() != MqttPacket.ConnAck.ACCEPTED) {
      String why = switch (ack.returnCode()) {
        case MqttPacket.ConnAck.BAD_USERNAME_OR_PASSWORD -> "bad user name or password (the token was refused)";
        case MqttPacket.ConnAck.NOT_AUTHORIZED -> "not authorized";
        case MqttPacket.ConnAck.SERVER_UNAVAILABLE -> "server unavailable";
        default -> "return code " + ack.returnCode();
      };
      deps.counters().increment(GatewayCounters.UPSTREAM_CONNECT_FAILED, GatewayCounters.UPSTREAM_REFUSED);
      disconnect();
      failed("the hub refused " + identity + ": " + why, ack.returnCode() == MqttPacket.ConnAck.SERVER_UNAVAILABLE);
      return;
    }
    state = State.SUBSCRIBING;
    subscribePacketId = packetId();
    List<MqttPacket.Subscription> subs = new ArrayList<>();
    for (String filter : HubTopics.subscriptions(deviceId, moduleId)) {
      subs.add(new MqttPacket.Subscription(filter, filter.startsWith("devices/") ? 1 : 0));
    }
    send(new MqttPacket.Subscribe(subscribePacketId, subs));
  }

  private void onSubscribed(MqttPacket.SubAck ack) {
    if (ack.returnCodes().contains(MqttPacket.SubAck.FAILURE)) {
      context.getLog().warn("{}: the hub refused some of the uplink's subscriptions ({}); cloud-to-device, twin or methods may not reach it",
          identity, ack.returnCodes());
    }
    timers.cancel("connect-timeout");
    state = State.UP;
    failures = 0;
    lastFailure = null;
    Duration renewAt = Duration.ofMillis((long) (deps.settings().tokenTimeToLive().toMillis() * 0.85));
    timers.startSingleTimer(Tick.RENEW_TOKEN, Tick.RENEW_TOKEN, renewAt);
    Duration half = deps.settings().keepAlive().dividedBy(2);
    timers.startTimerWithFixedDelay(Tick.KEEP_ALIVE, Tick.KEEP_ALIVE, half);
    deps.sink().tell(new UpstreamSink.LinkUp(identity));
    session().tell(new DeviceSession.UplinkUp(forSession));
  }

  // --- up ---------------------------------------------------------------------------------------------------

  private void onUp(MqttPacket packet) {
    if (packet instanceof MqttPacket.PubAck ack) {
      Sending sending = inflight.remove(ack.packetId());
      if (sending != null) {
        Outgoing o = sending.outgoing();
        sendMeters.sent(o.message(), o.position().priority(), System.nanoTime() - sending.sentNanos());
        confirmed.add(o.position());
        if (confirmed.size() >= deps.settings().batchMaxMessages()) {
          flushConfirmed();
        }
      }
    } else if (packet instanceof MqttPacket.Publish p) {
      onPublishFromHub(p);
    } else if (!(packet instanceof MqttPacket.PingResp || packet instanceof MqttPacket.SubAck || packet instanceof MqttPacket.UnsubAck)) {
      lost("the hub sent an unexpected " + packet.getClass().getSimpleName(), true);
    }
  }

  private Behavior<Command> onDeliver(Deliver d) {
    if (state != State.UP) {
      // Raced with the connection going down: the sink gets them back to send later.
      deps.sink().tell(new UpstreamSink.LinkDown(identity, d.messages(), lastFailure == null ? "not connected" : lastFailure, false));
      return Behaviors.same();
    }
    lastTrafficNanos = System.nanoTime();
    for (Outgoing o : d.messages()) {
      int id = packetId();
      inflight.put(id, new Sending(o, System.nanoTime()));
      send(new MqttPacket.Publish(false, 1, false, HubTopics.telemetry(o.message()), id, ByteString.fromByteBuffer(o.message().bodyBuffer())));
    }
    return Behaviors.same();
  }

  private void onPublishFromHub(MqttPacket.Publish p) {
    HubTopics.FromHub what = HubTopics.parse(p.topic(), deviceId);
    if (what instanceof HubTopics.CloudToDevice c) {
      lastTrafficNanos = System.nanoTime();
      Map<String, String> system = new HashMap<>();
      Map<String, String> properties = new LinkedHashMap<>();
      for (PropertyBag.Entry e : c.bag()) {
        Optional<String> name = SystemKeys.routeName(e.name());
        if (name.isPresent()) {
          system.put(name.get(), e.value());
        } else {
          properties.put(e.name(), e.value());
        }
      }
      // The hub's lock on this delivery is the PUBACK it waits for: sent once the device acknowledged.
      String lockToken = "uplink-" + attempt + "-" + p.packetId() + "-" + (nextLock++);
      if (p.qos() > 0) {
        c2dAwaitingDevice.put(lockToken, p.packetId());
      }
      session().tell(new DeviceSession.CloudToDevice(lockToken, system, properties, p.payload().toArray(), c2dOutcomes));
      return;
    } else if (what instanceof HubTopics.DesiredPatch d) {
      session().tell(new DeviceSession.DesiredPatchFromHub(d.version(), p.payload().utf8String()));
    } else if (what instanceof HubTopics.MethodRequest m) {
      lastTrafficNanos = System.nanoTime();
      deps.counters().directMethod(GatewayCounters.UPSTREAM, identity);
      String rid = m.rid();
      context.ask(DeviceSession.MethodResult.class, session(), METHOD_ANSWER_TIMEOUT,
          replyTo -> new DeviceSession.InvokeMethod(m.method(), p.payload().toArray(), Duration.ZERO, replyTo),
          (result, failure) -> new MethodAnswered(rid, result != null ? result
              : new DeviceSession.MethodResult(504, "{\"message\":\"the device's session did not answer\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
    } else if (what instanceof HubTopics.TwinResponse t) {
      onTwinResponse(t, p.payload());
    } else if (what instanceof HubTopics.Unknown u) {
      context.getLog().warn("{}: ignored a message from the hub: {}", identity, u.reason());
    }
    if (p.qos() > 0) {
      send(new MqttPacket.PubAck(p.packetId()));
    }
  }

  private void onTwinResponse(HubTopics.TwinResponse t, ByteString body) {
    PendingRequest request = twinRequests.remove(t.rid());
    if (request == null) {
      return; // an answer for an earlier connection's request
    }
    if (request.get()) {
      if (t.status() != 200) {
        context.getLog().warn("{}: the hub answered a twin GET with {}", identity, t.status());
        return;
      }
      try {
        var twin = TwinDocument.parseObject(body.toArray());
        var desired = twin.path("desired");
        var reported = twin.path("reported");
        request.session().tell(new DeviceSession.TwinFromHub(desired.toString(), desired.path("$version").asLong(0),
            reported.toString(), reported.path("$version").asLong(0)));
      } catch (TwinDocument.InvalidTwinException e) {
        context.getLog().warn("{}: the hub's twin could not be read: {}", identity, e.getMessage());
      }
    } else if (t.status() >= 200 && t.status() < 300) {
      request.session().tell(new DeviceSession.ReportedSynced(request.sequence(), t.version().orElse(0L)));
    } else {
      context.getLog().warn("{}: the hub refused a reported-properties patch with {}; it is kept and sent again on the next connection",
          identity, t.status());
    }
  }

  private Behavior<Command> onFromSession(FromSession f) {
    if (state != State.UP) {
      return Behaviors.same(); // the session sends it again when the link is up (UplinkUp)
    }
    String rid = rid();
    if (f.request() instanceof DeviceSession.PatchReported p) {
      deps.counters().reportedProperties(GatewayCounters.UPSTREAM, identity);
      twinRequests.put(rid, new PendingRequest(false, p.sequence(), p.session()));
      send(new MqttPacket.Publish(false, 0, false, HubTopics.reportedPatch(rid), 0, ByteString.fromArray(p.json())));
    } else if (f.request() instanceof DeviceSession.RefreshTwin r) {
      deps.counters().twinGet(GatewayCounters.UPSTREAM, identity);
      twinRequests.put(rid, new PendingRequest(true, 0, r.session()));
      send(new MqttPacket.Publish(false, 0, false, HubTopics.twinGet(rid), 0, ByteString.emptyByteString()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onCloudToDeviceDone(CloudToDeviceDone d) {
    Integer packetId = c2dAwaitingDevice.remove(d.outcome().lockToken());
    if (packetId == null || state != State.UP || !d.outcome().lockToken().startsWith("uplink-" + attempt + "-")) {
      return Behaviors.same(); // from an earlier connection: the hub delivers it again
    }
    if (d.outcome().completed()) {
      send(new MqttPacket.PubAck(packetId));
    } else {
      // Not acknowledged: the hub keeps it and delivers it again on the next connection.
      context.getLog().info("{}: a cloud-to-device message was not accepted by the device's session: {}", identity, d.outcome().detail());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onKeepAlive() {
    if (state != State.UP) {
      return Behaviors.same();
    }
    long now = System.nanoTime();
    long keepAlive = deps.settings().keepAlive().toNanos();
    if (now - lastHeardNanos > keepAlive + keepAlive / 2) {
      lost("the hub was silent for 1.5 times the keep-alive (" + deps.settings().keepAlive().toSeconds() + "s)", true);
    } else if (now - lastSentNanos >= keepAlive / 2) {
      send(new MqttPacket.PingReq());
    }
    return Behaviors.same();
  }

  // --- going down -------------------------------------------------------------------------------------------

  /** The connection failed or was lost: report, return what is unconfirmed, retry after a backoff. */
  private void lost(String reason, boolean hubUnreachable) {
    deps.counters().increment(GatewayCounters.UPSTREAM_CONNECT_FAILED,
        hubUnreachable ? GatewayCounters.UPSTREAM_UNREACHABLE : GatewayCounters.UPSTREAM_OTHER);
    disconnect();
    failed(reason, hubUnreachable);
  }

  private void failed(String reason, boolean hubUnreachable) {
    state = State.DISCONNECTED;
    notifyDown(reason, hubUnreachable);
    if (!reason.equals(lastFailure)) {
      // Once per distinct cause, not once per retry; the sink logs the gateway-wide online/offline change.
      context.getLog().info("{}: uplink down: {}; retrying with backoff", identity, reason);
    }
    lastFailure = reason;
    timers.startSingleTimer(Tick.RETRY, Tick.RETRY, backoff(failures++));
  }

  private void notifyDown(String reason, boolean hubUnreachable) {
    flushConfirmed();
    List<Outgoing> returned = unconfirmed();
    inflight.clear();
    twinRequests.clear();
    c2dAwaitingDevice.clear();
    deps.sink().tell(new UpstreamSink.LinkDown(identity, returned, reason, hubUnreachable));
    session().tell(new DeviceSession.UplinkDown(forSession));
  }

  /** Ends the current connection, if any, without telling anyone. */
  private void disconnect() {
    timers.cancel(Tick.KEEP_ALIVE);
    timers.cancel(Tick.RENEW_TOKEN);
    timers.cancel("connect-timeout");
    if (socket != null) {
      SharedKillSwitch s = socket;
      if (out == null) {
        s.shutdown(); // the attempt's stream has not started: nothing to let out
      } else {
        if (state == State.UP) {
          send(new MqttPacket.Disconnect());
        }
        out.tell(Close.INSTANCE, org.apache.pekko.actor.ActorRef.noSender());
        // After the DISCONNECT had its chance to go out, the socket is closed whatever TLS waits for.
        context.getSystem().scheduler().scheduleOnce(deps.settings().closeLinger(), s::shutdown, context.getExecutionContext());
      }
      out = null;
      socket = null;
    }
    attempt++; // whatever the old pipeline still reports is stale now
    state = State.DISCONNECTED;
  }

  private Behavior<Command> onClose() {
    boolean wasUp = state == State.UP;
    disconnect();
    flushConfirmed();
    deps.sink().tell(new UpstreamSink.LinkClosed(identity, unconfirmed()));
    inflight.clear();
    if (wasUp) {
      session().tell(new DeviceSession.UplinkDown(forSession));
    }
    state = State.CLOSED;
    return Behaviors.stopped();
  }

  private Duration backoff(int failures) {
    UpstreamSettings s = deps.settings();
    double base = s.minBackoff().toMillis() * Math.pow(2, Math.min(failures, 30));
    double capped = Math.min(base, s.maxBackoff().toMillis());
    double jitter = 1 + s.randomFactor() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    return Duration.ofMillis(Math.max(1, (long) (capped * jitter)));
  }

  // --- helpers ----------------------------------------------------------------------------------------------

  private void flushConfirmed() {
    if (!confirmed.isEmpty()) {
      deps.sink().tell(new UpstreamSink.Confirmed(identity, List.copyOf(confirmed)));
      confirmed.clear();
    }
  }

  /** What was published and not confirmed, in the order it was sent. */
  private List<Outgoing> unconfirmed() {
    return inflight.values().stream().map(Sending::outgoing).toList();
  }

  private void send(MqttPacket packet) {
    if (out != null) {
      out.tell(packet, org.apache.pekko.actor.ActorRef.noSender());
      lastSentNanos = System.nanoTime();
    }
  }

  private int packetId() {
    for (int i = 0; i < 65_535; i++) {
      int id = nextPacketId;
      nextPacketId = nextPacketId == 65_535 ? 1 : nextPacketId + 1;
      if (!inflight.containsKey(id) && id != subscribePacketId) {
        return id;
      }
    }
    throw new IllegalStateException("no free MQTT packet id"); // the window (at most 65,535) prevents this
  }

  private String rid() {
    return Long.toString(nextRid++);
  }

  private EntityRef<DeviceSession.Command> session() {
    return deps.sharding().entityRefFor(DeviceSession.TYPE_KEY, identity);
  }

  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.length() > 200 ? message.substring(0, 200) + "…" : message;
  }
}

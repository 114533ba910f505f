package dev.clearway.actors.session;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clearway.actors.CborSerializable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The session of one identity ({@code device} or {@code device/module}): a Cluster Sharding entity,
 * so there is exactly one per identity in the whole cluster, whichever node the device reaches.
 *
 * <p>It knows which connection serves the identity now — a new connection takes over and the
 * previous one is told to close, on any node — and holds what outlives a connection:
 * <ul>
 *   <li>the subscriptions of a persistent (clean session 0) session;
 *   <li>cloud-to-device messages, queued (bounded) until the device subscribes and then delivered
 *       in a bounded window; each is completed to the hub only when the device acknowledged it,
 *       and redelivered to the next connection if the connection went away first;
 *   <li>the twin cache: twin GET is answered from it, reported patches are merged into it (and
 *       marked for the uplink), desired patches are forwarded to a subscribed device;
 *   <li>direct-method calls waiting for the device's answer, each with its timeout; a call for a
 *       device that is not connected and subscribed is answered 404 at once.
 * </ul>
 * The protocol is not its business: connections turn its notifications into MQTT (or AMQP) frames.
 */
public final class DeviceSession extends AbstractBehavior<DeviceSession.Command> {

  /** The sharding entity type; the entity id is the identity id. */
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "DeviceSession");

  /** What a connection can ask for: the IoT Hub features it subscribed to. */
  public enum Feature { CLOUD_TO_DEVICE, MODULE_INPUTS, DESIRED_PROPERTIES, METHODS }

  /** Messages to a device session. */
  public sealed interface Command extends CborSerializable
      permits Attach, Detach, Subscribe, Unsubscribe, CloudToDeviceAcknowledged, TwinGet, ReportedPatch, MethodResponse,
          CloudToDevice, InvokeMethod, TwinFromHub, DesiredPatchFromHub, GetTwin, MethodTimedOut,
          UplinkUp, UplinkDown, ReportedSynced {}

  // --- from the connection that serves the identity -----------------------------------------------

  /**
   * A connection authenticated as this identity and wants to serve it.
   *
   * @param connection where the session sends its notifications for this connection
   * @param cleanSession whether to forget the previous session's subscriptions (MQTT clean session 1)
   * @param replyTo receives {@link Attached} once the connection is the current one
   */
  public record Attach(ActorRef<Notification> connection, boolean cleanSession, ActorRef<Attached> replyTo) implements Command {}

  /** The connection closed; the session forgets it if it is still the current one. */
  public record Detach(ActorRef<Notification> connection) implements Command {}

  /** The current connection subscribed: protocol topic filters (kept for a persistent session) and the features they ask for. */
  public record Subscribe(ActorRef<Notification> connection, Set<String> topicFilters, Set<Feature> features) implements Command {}

  /** The current connection unsubscribed. */
  public record Unsubscribe(ActorRef<Notification> connection, Set<String> topicFilters, Set<Feature> features) implements Command {}

  /** The device acknowledged a cloud-to-device delivery (MQTT PUBACK): complete it. */
  public record CloudToDeviceAcknowledged(ActorRef<Notification> connection, String lockToken) implements Command {}

  /** The device asks for its twin. */
  public record TwinGet(ActorRef<Notification> connection, String requestId) implements Command {}

  /** The device patches its reported properties (JSON merge patch). */
  public record ReportedPatch(ActorRef<Notification> connection, String requestId, byte[] json) implements Command {}

  /** The device answers a direct method. */
  public record MethodResponse(ActorRef<Notification> connection, String requestId, int status, byte[] payload) implements Command {}

  /**
   * The reply to {@link Attach}.
   *
   * @param sessionPresent whether a previous persistent session was resumed (MQTT CONNACK flag)
   * @param topicFilters the subscriptions restored from that session
   */
  public record Attached(boolean sessionPresent, Set<String> topicFilters) implements CborSerializable {}

  // --- from the hub side (the uplink) ---------------------------------------------------------------

  /**
   * A cloud-to-device message for the identity.
   *
   * @param lockToken the hub's id for this delivery; completion names it
   * @param systemProperties route-language names (messageId, correlationId, …) to values
   * @param properties application properties
   * @param replyTo told {@link CloudToDeviceOutcome} once the device acknowledged, or at once if refused
   */
  public record CloudToDevice(String lockToken, Map<String, String> systemProperties, Map<String, String> properties, byte[] body,
      ActorRef<CloudToDeviceOutcome> replyTo) implements Command {}

  /** What became of a cloud-to-device message. */
  public record CloudToDeviceOutcome(String lockToken, boolean completed, String detail) implements CborSerializable {}

  /**
   * A direct-method call.
   *
   * @param timeout how long the device has to answer (5-300 s; zero means the default)
   * @param replyTo told the device's answer, 404 when the device cannot be reached, 504 on timeout
   */
  public record InvokeMethod(String method, byte[] payload, Duration timeout, ActorRef<MethodResult> replyTo) implements Command {}

  /** A method's outcome: an HTTP-style status and the JSON payload. */
  public record MethodResult(int status, byte[] payload) implements CborSerializable {}

  /** The whole twin as the hub has it; replaces the cache. */
  public record TwinFromHub(String desiredJson, long desiredVersion, String reportedJson, long reportedVersion) implements Command {}

  /** A desired-properties patch from the hub. */
  public record DesiredPatchFromHub(long version, String json) implements Command {}

  /** Asks for the cached twin (the uplink syncs reported properties from it). */
  public record GetTwin(ActorRef<CachedTwin> replyTo) implements Command {}

  /** The cached twin: IoT Hub's GET JSON, and whether reported properties changed since the hub last had them. */
  public record CachedTwin(boolean known, byte[] twinJson, boolean reportedChangedOffline) implements CborSerializable {}

  private record MethodTimedOut(String requestId) implements Command {}

  /** The identity's connection to the hub is up: reported properties kept offline go up through it. */
  public record UplinkUp(ActorRef<UplinkRequest> uplink) implements Command {}

  /** The identity's connection to the hub is down. */
  public record UplinkDown(ActorRef<UplinkRequest> uplink) implements Command {}

  /** The hub accepted the reported patch of {@code sequence}; its reported version is now {@code version}. */
  public record ReportedSynced(long sequence, long version) implements Command {}

  /** What a session asks of its identity's connection to the hub. */
  public sealed interface UplinkRequest extends CborSerializable permits PatchReported, RefreshTwin {}

  /** Send this merge patch of everything reported since the hub last confirmed; answer {@link ReportedSynced}. */
  public record PatchReported(long sequence, byte[] json, ActorRef<Command> session) implements UplinkRequest {}

  /** Fetch the twin from the hub; answer {@link TwinFromHub}. */
  public record RefreshTwin(ActorRef<Command> session) implements UplinkRequest {}

  // --- to the connection ----------------------------------------------------------------------------

  /** What a session tells a connection. */
  public sealed interface Notification extends CborSerializable
      permits TakenOver, DeliverCloudToDevice, TwinResponse, DesiredPatch, MethodRequest {}

  /** Another connection now serves this identity: close this one (IoT Hub's one-connection rule). */
  public record TakenOver(String identity) implements Notification {}

  /** Deliver a cloud-to-device message; acknowledge it with {@link CloudToDeviceAcknowledged}. */
  public record DeliverCloudToDevice(String lockToken, Map<String, String> systemProperties, Map<String, String> properties, byte[] body)
      implements Notification {}

  /** The answer to a twin request: status (200, 204, 400, 503…), the new version for a patch, the body. */
  public record TwinResponse(String requestId, int status, long version, byte[] body) implements Notification {}

  /** A desired-properties patch for a subscribed device. */
  public record DesiredPatch(long version, byte[] json) implements Notification {}

  /** A direct-method request for a subscribed device; answer with {@link MethodResponse}. */
  public record MethodRequest(String requestId, String method, byte[] payload) implements Notification {}

  private final String identity;
  private final SessionSettings settings;
  private final TwinKeeper twins;
  private final TimerScheduler<Command> timers;
  private ActorRef<Notification> current;
  private boolean persistent;
  private final Set<String> topicFilters = new LinkedHashSet<>();
  private final Set<Feature> features = EnumSet.noneOf(Feature.class);
  private final Deque<CloudToDevice> pendingC2d = new ArrayDeque<>();
  private final Map<String, CloudToDevice> inflightC2d = new LinkedHashMap<>();
  private boolean twinKnown;
  private TwinDocument desired = TwinDocument.empty();
  private TwinDocument reported = TwinDocument.empty();
  private boolean reportedChangedOffline;
  private ActorRef<UplinkRequest> uplink;
  /** Reported changes the hub has not confirmed yet, as one merge patch; null when there are none. */
  private ObjectNode unsyncedReported;
  private long reportedSequence;
  /** Twin GETs waiting for the hub's twin (the cache has none yet and the uplink is fetching it). */
  private final List<TwinGet> heldTwinGets = new ArrayList<>();
  private final Map<String, ActorRef<MethodResult>> pendingMethods = new HashMap<>();

  /**
   * @param twins where the twin is kept across restarts; the session starts from what it holds
   */
  public static Behavior<Command> create(String identity, SessionSettings settings, TwinKeeper twins) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new DeviceSession(ctx, timers, identity, settings, twins)));
  }

  private DeviceSession(ActorContext<Command> context, TimerScheduler<Command> timers, String identity, SessionSettings settings,
      TwinKeeper twins) {
    super(context);
    context.setLoggerName(DeviceSession.class);
    this.timers = timers;
    this.identity = identity;
    this.settings = settings;
    this.twins = twins;
    restoreTwin();
  }

  // --- the kept twin -------------------------------------------------------------------------------------

  private void restoreTwin() {
    try {
      Optional<byte[]> kept = twins.load(identity);
      if (kept.isEmpty()) {
        return;
      }
      ObjectNode doc = TwinDocument.parseObject(kept.get());
      desired = TwinDocument.withOwnVersion(doc.path("desired"));
      reported = TwinDocument.withOwnVersion(doc.path("reported"));
      twinKnown = doc.path("known").asBoolean(false);
      if (doc.get("unsynced") instanceof ObjectNode unsynced) {
        unsyncedReported = unsynced;
        reportedSequence = doc.path("sequence").asLong(1);
        reportedChangedOffline = true;
      }
    } catch (TwinDocument.InvalidTwinException | RuntimeException e) {
      getContext().getLog().warn("{}: the kept twin could not be read ({}); starting without it", identity, e.getMessage());
    }
  }

  private void keepTwin() {
    try {
      ObjectNode doc = TwinDocument.twinNode(desired, reported);
      doc.put("known", twinKnown);
      if (unsyncedReported != null) {
        doc.set("unsynced", unsyncedReported);
        doc.put("sequence", reportedSequence);
      }
      twins.save(identity, TwinDocument.toBytes(doc));
    } catch (RuntimeException e) {
      getContext().getLog().warn("{}: could not keep the twin: {}", identity, e.getMessage());
    }
  }

  @Override
  public Receive<Command> createReceive() {
    // One handler for all commands, not a builder case (and a handler object) per command type: every
    // identity that ever connected keeps its session.
    return newReceiveBuilder().onAnyMessage(this::onCommand).build();
  }

  private Behavior<Command> onCommand(Command command) {
    if (command instanceof Attach c) {
      return onAttach(c);
    } else if (command instanceof Detach c) {
      return onDetach(c);
    } else if (command instanceof Subscribe c) {
      return onSubscribe(c);
    } else if (command instanceof Unsubscribe c) {
      return onUnsubscribe(c);
    } else if (command instanceof CloudToDeviceAcknowledged c) {
      return onC2dAcknowledged(c);
    } else if (command instanceof TwinGet c) {
      return onTwinGet(c);
    } else if (command instanceof ReportedPatch c) {
      return onReportedPatch(c);
    } else if (command instanceof MethodResponse c) {
      return onMethodResponse(c);
    } else if (command instanceof CloudToDevice c) {
      return onCloudToDevice(c);
    } else if (command instanceof InvokeMethod c) {
      return onInvokeMethod(c);
    } else if (command instanceof MethodTimedOut c) {
      return onMethodTimedOut(c);
    } else if (command instanceof TwinFromHub c) {
      return onTwinFromHub(c);
    } else if (command instanceof DesiredPatchFromHub c) {
      return onDesiredPatchFromHub(c);
    } else if (command instanceof UplinkUp c) {
      return onUplinkUp(c);
    } else if (command instanceof UplinkDown c) {
      return onUplinkDown(c);
    } else if (command instanceof ReportedSynced c) {
      return onReportedSynced(c);
    } else if (command instanceof GetTwin g) {
      g.replyTo().tell(new CachedTwin(twinKnown, TwinDocument.twinJson(desired, reported), reportedChangedOffline));
      return this;
    }
    return Behaviors.unhandled();
  }

  // --- connection lifecycle ---------------------------------------------------------------------------

  private Behavior<Command> onAttach(Attach a) {
    if (current != null && !current.equals(a.connection())) {
      getContext().getLog().info("{}: a new connection takes over; closing the previous one", identity);
      current.tell(new TakenOver(identity));
      requeueInflight();
    }
    current = a.connection();
    // MQTT 3.1.2.4: clean session 1 discards the previous session; 0 resumes it if there is one.
    boolean resumed = !a.cleanSession() && persistent;
    if (!resumed) {
      topicFilters.clear();
      features.clear();
    }
    persistent = !a.cleanSession();
    a.replyTo().tell(new Attached(resumed, Set.copyOf(topicFilters)));
    deliverC2d();
    return this;
  }

  private Behavior<Command> onDetach(Detach d) {
    if (d.connection().equals(current)) {
      current = null;
      requeueInflight();
      if (!persistent) {
        topicFilters.clear(); // a clean session ends with its connection (3.1.2.4)
        features.clear();
      }
    }
    return this;
  }

  private Behavior<Command> onSubscribe(Subscribe s) {
    if (s.connection().equals(current)) {
      topicFilters.addAll(s.topicFilters());
      features.addAll(s.features());
      deliverC2d();
    }
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe u) {
    if (u.connection().equals(current)) {
      topicFilters.removeAll(u.topicFilters());
      features.removeAll(u.features());
    }
    return this;
  }

  // --- cloud to device -----------------------------------------------------------------------------------

  private Behavior<Command> onCloudToDevice(CloudToDevice c) {
    if (pendingC2d.size() + inflightC2d.size() >= settings.maxPendingCloudToDevice()) {
      // IoT Hub caps a device's queue too; refusing tells the sender, instead of growing without bound.
      c.replyTo().tell(new CloudToDeviceOutcome(c.lockToken(), false, "the device's cloud-to-device queue is full ("
          + settings.maxPendingCloudToDevice() + ", clearway.sessions.max-pending-cloud-to-device)"));
      return this;
    }
    pendingC2d.addLast(c);
    deliverC2d();
    return this;
  }

  /** Sends queued messages to a subscribed connection, up to the in-flight window. */
  private void deliverC2d() {
    // A device receives cloud-to-device messages; a module receives routed messages on its inputs.
    Feature wanted = identity.contains("/") ? Feature.MODULE_INPUTS : Feature.CLOUD_TO_DEVICE;
    if (current == null || !features.contains(wanted)) {
      return;
    }
    while (!pendingC2d.isEmpty() && inflightC2d.size() < settings.maxInflightCloudToDevice()) {
      CloudToDevice c = pendingC2d.removeFirst();
      inflightC2d.put(c.lockToken(), c);
      current.tell(new DeliverCloudToDevice(c.lockToken(), c.systemProperties(), c.properties(), c.body()));
    }
  }

  private Behavior<Command> onC2dAcknowledged(CloudToDeviceAcknowledged a) {
    CloudToDevice c = inflightC2d.remove(a.lockToken());
    if (c != null) {
      c.replyTo().tell(new CloudToDeviceOutcome(c.lockToken(), true, "completed by the device"));
      deliverC2d();
    }
    return this;
  }

  /** At-least-once: what the device never acknowledged goes back to the front of the queue. */
  private void requeueInflight() {
    var unacknowledged = new java.util.ArrayList<>(inflightC2d.values());
    inflightC2d.clear();
    for (int i = unacknowledged.size() - 1; i >= 0; i--) {
      pendingC2d.addFirst(unacknowledged.get(i));
    }
  }

  // --- twin ------------------------------------------------------------------------------------------------

  private Behavior<Command> onTwinGet(TwinGet g) {
    if (twinKnown) {
      g.connection().tell(new TwinResponse(g.requestId(), 200, 0, TwinDocument.twinJson(desired, reported)));
    } else if (uplink != null && heldTwinGets.size() < settings.maxHeldTwinGets()) {
      heldTwinGets.add(g); // answered when the hub's twin arrives
      uplink.tell(new RefreshTwin(getContext().getSelf()));
    } else {
      // Never seen from the hub and no uplink to ask: IoT Hub's "service unavailable", so the SDK retries.
      g.connection().tell(new TwinResponse(g.requestId(), 503, 0, new byte[0]));
    }
    return this;
  }

  private void answerHeldTwinGets() {
    List<TwinGet> held = new ArrayList<>(heldTwinGets);
    heldTwinGets.clear();
    held.forEach(this::onTwinGet);
  }

  private Behavior<Command> onUplinkUp(UplinkUp u) {
    uplink = u.uplink();
    if (unsyncedReported != null) {
      uplink.tell(new PatchReported(reportedSequence, TwinDocument.toBytes(unsyncedReported), getContext().getSelf()));
    }
    uplink.tell(new RefreshTwin(getContext().getSelf()));
    return this;
  }

  private Behavior<Command> onUplinkDown(UplinkDown d) {
    if (d.uplink().equals(uplink)) {
      uplink = null;
      answerHeldTwinGets(); // 503: the twin never came
    }
    return this;
  }

  private Behavior<Command> onReportedSynced(ReportedSynced s) {
    if (s.sequence() == reportedSequence) {
      unsyncedReported = null;
      reportedChangedOffline = false;
      keepTwin();
    }
    return this;
  }

  private Behavior<Command> onReportedPatch(ReportedPatch p) {
    try {
      ObjectNode patch = TwinDocument.parseObject(p.json());
      reported = reported.patch(patch, reported.version() + 1, settings.maxTwinBytes());
      reportedChangedOffline = true; // the uplink syncs it to the hub and clears this
      unsyncedReported = unsyncedReported == null ? patch : TwinDocument.compose(unsyncedReported, patch);
      reportedSequence++;
      keepTwin();
      if (uplink != null) {
        uplink.tell(new PatchReported(reportedSequence, TwinDocument.toBytes(unsyncedReported), getContext().getSelf()));
      }
      p.connection().tell(new TwinResponse(p.requestId(), 204, reported.version(), new byte[0]));
    } catch (TwinDocument.InvalidTwinException e) {
      getContext().getLog().info("{}: refused a reported-properties patch: {}", identity, e.getMessage());
      p.connection().tell(new TwinResponse(p.requestId(), 400, 0, new byte[0]));
    }
    return this;
  }

  private Behavior<Command> onTwinFromHub(TwinFromHub t) {
    try {
      desired = TwinDocument.of(t.desiredJson(), t.desiredVersion());
      reported = TwinDocument.of(t.reportedJson(), t.reportedVersion());
      if (unsyncedReported != null) {
        // What the device reported that the hub has not confirmed yet stays in the local view.
        reported = reported.patch(unsyncedReported, t.reportedVersion(), Integer.MAX_VALUE);
      }
      twinKnown = true;
      reportedChangedOffline = unsyncedReported != null;
      keepTwin();
      answerHeldTwinGets();
    } catch (TwinDocument.InvalidTwinException e) {
      getContext().getLog().warn("{}: ignored a twin from the hub: {}", identity, e.getMessage());
    }
    return this;
  }

  private Behavior<Command> onDesiredPatchFromHub(DesiredPatchFromHub p) {
    try {
      ObjectNode patch = TwinDocument.parseObject(p.json().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      desired = desired.patch(patch, p.version(), Integer.MAX_VALUE); // the hub enforces its own limit on desired properties
      keepTwin();
      if (current != null && features.contains(Feature.DESIRED_PROPERTIES)) {
        patch.put("$version", p.version());
        current.tell(new DesiredPatch(p.version(), TwinDocument.toBytes(patch)));
      }
    } catch (TwinDocument.InvalidTwinException e) {
      getContext().getLog().warn("{}: ignored a desired patch from the hub: {}", identity, e.getMessage());
    }
    return this;
  }

  // --- direct methods ----------------------------------------------------------------------------------

  private Behavior<Command> onInvokeMethod(InvokeMethod m) {
    if (current == null || !features.contains(Feature.METHODS)) {
      // IoT Hub answers 404 when the device is not connected or not listening for methods.
      m.replyTo().tell(new MethodResult(404, "{\"message\":\"device is not connected or not subscribed to methods\"}"
          .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      return this;
    }
    if (pendingMethods.size() >= settings.maxPendingMethods()) {
      m.replyTo().tell(new MethodResult(429, "{\"message\":\"too many method calls in progress\"}"
          .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      return this;
    }
    String rid = UUID.randomUUID().toString();
    pendingMethods.put(rid, m.replyTo());
    Duration timeout = m.timeout().isZero() ? settings.defaultMethodTimeout() : m.timeout();
    timers.startSingleTimer(rid, new MethodTimedOut(rid), timeout);
    current.tell(new MethodRequest(rid, m.method(), m.payload()));
    return this;
  }

  private Behavior<Command> onMethodResponse(MethodResponse r) {
    ActorRef<MethodResult> replyTo = pendingMethods.remove(r.requestId());
    if (replyTo != null) {
      timers.cancel(r.requestId());
      replyTo.tell(new MethodResult(r.status(), r.payload()));
    }
    return this;
  }

  private Behavior<Command> onMethodTimedOut(MethodTimedOut t) {
    ActorRef<MethodResult> replyTo = pendingMethods.remove(t.requestId());
    if (replyTo != null) {
      replyTo.tell(new MethodResult(504, "{\"message\":\"the device did not answer in time\"}"
          .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    return this;
  }
}

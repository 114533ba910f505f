package dev.clearway.actors.upstream;

import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.Position;
import dev.clearway.streams.store.ReadCursor;
import dev.clearway.streams.mqtt.MqttCodecFlow;
import dev.clearway.streams.mqtt.MqttSettings;
import dev.clearway.streams.store.StoredMessage;
import dev.clearway.streams.tcp.TcpTransport;
import dev.clearway.streams.tls.TlsBufferPool;
import dev.clearway.tls.ClientTls;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Drains the store's {@code $upstream} queues to the hub: reads the oldest unacknowledged messages
 * (highest priority first) in batches, hands each to its identity's {@link HubLink}, and
 * acknowledges a message in the store only once the hub confirmed it. At least once: a crash or a
 * lost connection sends the unconfirmed ones again.
 *
 * <p>Bounded: at most {@code max-in-flight} messages are read and unconfirmed, each link gets at
 * most {@code max-in-flight-per-identity}, and at most {@code max-connections} links exist. Messages
 * for an identity whose link is down wait here (within the same bound) and go out when it is up; a
 * hub that is down for everyone stops the reading, and the store holds the rest.
 *
 * <p>It also keeps the gateway's online/offline state ({@link UpstreamStatus}) and logs each change
 * once: online when any link is up, offline when the hub cannot be reached and no link is up.
 */
public final class UpstreamSink {

  /** What the sink handles; node-local (it reads this node's store), never serialized. */
  public sealed interface Command extends NoSerializationVerificationNeeded
      permits Stored, DevicePresent, Stop, Pump, LinkUp, Confirmed, Acknowledged, LinkDown, IdleCloseRequest, LinkClosed {}

  /** Messages were stored (perhaps for $upstream): worth a look at the store. Sent by {@link StoredSignal}. */
  enum Stored implements Command { INSTANCE }

  /**
   * How the router tells the sink that messages were stored: one {@link Stored} prompt until the sink
   * has looked, however many appends complete meanwhile (a group commit completes many at once).
   * The count of messages behind the prompts still reaches the sink, for {@code batch.linger}.
   */
  public static final class StoredSignal {
    private final AtomicLong unseen = new AtomicLong();
    private volatile ActorRef<Command> sink;

    /** A message was stored; thread-safe, never blocks. */
    public void stored() {
      // Before the sink attached, its first read (which follows the attaching) finds the message.
      if (unseen.getAndIncrement() == 0 && sink != null) {
        sink.tell(Stored.INSTANCE);
      }
    }

    private void attach(ActorRef<Command> sink) {
      this.sink = sink;
    }

    /** The messages stored since the last take; the next {@link #stored()} prompts again. */
    private long take() {
      return unseen.getAndSet(0);
    }
  }

  /** A device connected to (or left) the gateway as {@code identity}: its link is wanted for the hub's traffic. */
  public record DevicePresent(String identity, boolean present) implements Command {}

  /** Stop: close every link (what is unconfirmed stays in the store) and complete {@code done}. */
  public record Stop(CompletableFuture<Done> done) implements Command {}

  private enum Pump implements Command { NOW, LINGERED, POLL }

  /** A link is up. */
  record LinkUp(String identity) implements Command {}

  /** Messages the hub confirmed. */
  record Confirmed(String identity, List<Position> positions) implements Command {}

  /** The store wrote the acknowledgement of confirmed messages ({@code failure} null), or could not. */
  private record Acknowledged(List<Position> positions, Throwable failure) implements Command {}

  /**
   * A link's connection is gone; {@code returned} were not confirmed.
   *
   * @param hubUnreachable the hub could not be reached or dropped the connection (as opposed to
   *     refusing this identity)
   */
  record LinkDown(String identity, List<HubLink.Outgoing> returned, String reason, boolean hubUnreachable) implements Command {}

  /** A link has been idle; the sink decides whether it closes. */
  record IdleCloseRequest(String identity) implements Command {}

  /** A link stopped; {@code returned} were not confirmed. */
  record LinkClosed(String identity, List<HubLink.Outgoing> returned) implements Command {}

  private static final class Link {
    final ActorRef<HubLink.Command> ref;
    final Deque<HubLink.Outgoing> waiting = new ArrayDeque<>();
    boolean up;
    int outstanding;
    boolean devicePresent;

    Link(ActorRef<HubLink.Command> ref) {
      this.ref = ref;
    }
  }

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final MessageStore store;
  private final UpstreamSettings settings;
  private final HubLink.Dependencies linkDeps;
  private final GatewayCounters counters;
  private final UpstreamStatus status;
  /**
   * Every message read and not yet acknowledged in the store, by position: the store read passes
   * over these. A confirmed message stays here until its acknowledgement is written, or a read in
   * between would return it again and it would be sent twice.
   */
  private final Map<Position, String> inFlight = new HashMap<>();
  /**
   * Where the next read of the store goes on: after everything in flight, so a read does not pass
   * over the in-flight messages again. Rewound whenever a message leaves the in-flight set without
   * its acknowledgement (it must be read again).
   */
  private final ReadCursor cursor = new ReadCursor();
  /** Confirmed by the hub, waiting for the acknowledgement write on its way to finish ({@link #acknowledge}). */
  private final List<Position> unwrittenAcks = new ArrayList<>();
  private boolean acknowledging;
  private final Map<String, Link> links = new LinkedHashMap<>();
  /** Connections to the gateway per identity (a takeover briefly makes two). */
  private final Map<String, Integer> presence = new HashMap<>();
  /** Identities with messages but no link, because max-connections links exist. */
  private final Map<String, Deque<HubLink.Outgoing>> parked = new LinkedHashMap<>();
  private final StoredSignal storedSignal;
  private boolean pumpQueued;
  private long storedSinceRead;
  private CompletableFuture<Done> stopping;

  private UpstreamSink(ActorContext<Command> context, TimerScheduler<Command> timers, MessageStore store, UpstreamSettings settings,
      HubLink.Dependencies linkDeps, UpstreamStatus status, StoredSignal storedSignal) {
    this.context = context;
    this.storedSignal = storedSignal;
    this.timers = timers;
    this.store = store;
    this.settings = settings;
    this.linkDeps = linkDeps;
    this.counters = linkDeps.counters();
    this.status = status;
  }

  /**
   * The sink of one node's store.
   *
   * @param registry where identities' own keys are found (read at each connection attempt)
   * @param tls client TLS for the hub; empty when {@code clearway.upstream.tls} is off
   * @param tcp the sockets of the links
   * @param tlsBuffers the buffers the links' TLS borrows while it encrypts or decrypts
   * @param handshakeTasks where the links' TLS handshakes do their cryptography
   * @param codec the MQTT codec's settings (the largest packet accepted from the hub)
   * @param status where the online/offline state is published
   * @param storedSignal what the router tells of stored messages (this sink attaches to it)
   */
  public static Behavior<Command> create(MessageStore store, UpstreamSettings settings, IdentityRegistry registry, Optional<ClientTls> tls,
      TcpTransport tcp, TlsBufferPool tlsBuffers, Executor handshakeTasks, MqttSettings codec, ClusterSharding sharding, GatewayCounters counters, Clock clock, UpstreamStatus status,
      StoredSignal storedSignal) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setLoggerName(UpstreamSink.class);
      // The client codec's blueprint, made once for every link's connections (a stage keeps its blueprint while it runs).
      HubLink.Dependencies deps = new HubLink.Dependencies(settings, new HubCredentials(registry, settings), tls, tcp, tlsBuffers, handshakeTasks,
          MqttCodecFlow.client(codec), sharding, counters, clock, ctx.getSelf());
      timers.startTimerWithFixedDelay(Pump.POLL, Pump.POLL, settings.pollInterval());
      ctx.getLog().info("Uplink to {} over MQTT{}: at most {} messages in flight, {} per identity",
          settings.addressText(), settings.tls() ? "/TLS" : " without TLS", settings.maxInFlight(), settings.maxInFlightPerIdentity());
      storedSignal.attach(ctx.getSelf());
      ctx.getSelf().tell(Pump.NOW);
      return new UpstreamSink(ctx, timers, store, settings, deps, status, storedSignal).running();
    }));
  }

  private Behavior<Command> running() {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Stored.INSTANCE, this::onStored)
        .onMessage(Pump.class, p -> {
          if (p == Pump.NOW) {
            pumpQueued = false;
          }
          pump();
          if (p == Pump.POLL) {
            forgetExpiredWaiting();
            links.values().forEach(this::deliver); // a sweep; every change of a link's window delivers itself
          }
          return Behaviors.same();
        })
        .onMessage(DevicePresent.class, this::onDevicePresent)
        .onMessage(LinkUp.class, this::onLinkUp)
        .onMessage(Confirmed.class, this::onConfirmed)
        .onMessage(Acknowledged.class, this::onAcknowledged)
        .onMessage(LinkDown.class, this::onLinkDown)
        .onMessage(IdleCloseRequest.class, this::onIdleCloseRequest)
        .onMessage(LinkClosed.class, this::onLinkClosed)
        .onMessage(Stop.class, this::onStop)
        .onSignal(Terminated.class, this::onTerminated)
        .build();
  }

  // --- reading the store ---------------------------------------------------------------------------------

  private Behavior<Command> onStored() {
    storedSinceRead += storedSignal.take();
    if (settings.batchLinger().isZero() || storedSinceRead >= settings.batchMaxMessages()) {
      pumpSoon();
    } else if (!timers.isTimerActive(Pump.LINGERED)) {
      timers.startSingleTimer(Pump.LINGERED, Pump.LINGERED, settings.batchLinger());
    }
    return Behaviors.same();
  }

  /** One pump in the mailbox at a time, however many prompts arrive meanwhile. */
  private void pumpSoon() {
    if (!pumpQueued) {
      pumpQueued = true;
      context.getSelf().tell(Pump.NOW);
    }
  }

  private void pump() {
    if (stopping != null) {
      return;
    }
    storedSignal.take(); // this read finds what was stored so far
    storedSinceRead = 0;
    timers.cancel(Pump.LINGERED);
    int room = settings.maxInFlight() - inFlight.size();
    // Only the links this read gave messages to: with thousands of links, a pass over all of them at
    // every read would cost more than the read.
    Set<Link> fed = new HashSet<>();
    if (room > 0) {
      List<StoredMessage> read;
      try {
        read = store.next(Endpoint.UPSTREAM, Math.min(room, settings.batchMaxMessages()), settings.batchMaxBytes(), cursor,
            inFlight::containsKey);
      } catch (MessageStore.StoreException e) {
        context.getLog().warn("Uplink: cannot read the store: {}", e.getMessage());
        return;
      }
      for (StoredMessage m : read) {
        String identity = identityOf(m.message());
        inFlight.put(m.position(), identity);
        HubLink.Outgoing o = new HubLink.Outgoing(m.position(), m.message(), m.expiresAt());
        Link link = linkFor(identity);
        if (link == null) {
          parked.computeIfAbsent(identity, i -> new ArrayDeque<>()).addLast(o);
        } else {
          link.waiting.addLast(o);
          fed.add(link);
        }
      }
      if (read.size() == Math.min(room, settings.batchMaxMessages()) && read.size() < room) {
        pumpSoon(); // a full batch: there may be more, and room for it
      }
    }
    fed.forEach(this::deliver);
  }

  /**
   * Hands a link what waits for it, within its window, if it is up. A message that expired while
   * it waited here (its link down, or the hub away) is not sent: it leaves the in-flight set, and
   * the next read of the store removes and counts its reference (ttl_expiry).
   */
  private void deliver(Link link) {
    if (!link.up || link.waiting.isEmpty()) {
      return;
    }
    int room = settings.maxInFlightPerIdentity() - link.outstanding;
    if (room <= 0) {
      return;
    }
    Instant now = linkDeps.clock().instant();
    int expired = 0;
    List<HubLink.Outgoing> batch = new ArrayList<>(Math.min(room, link.waiting.size()));
    while (batch.size() < room && !link.waiting.isEmpty()) {
      HubLink.Outgoing o = link.waiting.pollFirst();
      if (now.isBefore(o.expiresAt())) {
        batch.add(o);
      } else {
        readAgain(o.position());
        expired++;
      }
    }
    if (expired > 0) {
      context.getLog().debug("Uplink: {} messages for {} expired before they could be sent", expired, link.ref.path().name());
      pumpSoon();
    }
    if (!batch.isEmpty()) {
      link.outstanding += batch.size();
      link.ref.tell(new HubLink.Deliver(batch));
    }
  }

  /**
   * Messages that expired while they waited here for a link (down, or not yet started) leave the
   * in-flight set; the store's next read then meets their references and removes and counts them
   * (ttl_expiry), as it would have without this sink having read them.
   */
  private void forgetExpiredWaiting() {
    Instant now = linkDeps.clock().instant();
    for (Link link : links.values()) {
      link.waiting.removeIf(o -> expired(o, now));
    }
    parked.values().forEach(waiting -> waiting.removeIf(o -> expired(o, now)));
    parked.values().removeIf(Deque::isEmpty);
  }

  private boolean expired(HubLink.Outgoing o, Instant now) {
    if (now.isBefore(o.expiresAt())) {
      return false;
    }
    readAgain(o.position());
    return true;
  }

  /** A message read and not sent: it leaves the in-flight set, and the store's next read returns it again. */
  private void readAgain(Position position) {
    inFlight.remove(position);
    cursor.rewind();
  }

  private static String identityOf(Message m) {
    String device = m.systemProperty(SystemProperty.CONNECTION_DEVICE_ID);
    String module = m.systemProperty(SystemProperty.CONNECTION_MODULE_ID);
    return module == null ? device : device + "/" + module;
  }

  // --- links ---------------------------------------------------------------------------------------------------

  /** The identity's link, started if needed; null when max-connections links exist already. */
  private Link linkFor(String identity) {
    Link link = links.get(identity);
    if (link == null && links.size() < settings.maxConnections()) {
      String name = "hub-" + URLEncoder.encode(identity, StandardCharsets.UTF_8);
      ActorRef<HubLink.Command> ref = context.spawn(HubLink.create(identity, linkDeps), name);
      context.watch(ref);
      link = new Link(ref);
      links.put(identity, link);
      if (status.connectivity() == UpstreamStatus.Connectivity.UNKNOWN) {
        context.getLog().debug("Uplink: first connection, for {}", identity);
      }
    }
    return link;
  }

  private Behavior<Command> onDevicePresent(DevicePresent p) {
    // Counted, not flagged: during a takeover the new connection's arrival can precede the old one's leaving.
    int count = presence.merge(p.identity(), p.present() ? 1 : -1, Integer::sum);
    if (count <= 0) {
      presence.remove(p.identity());
    }
    Link link = count > 0 ? linkFor(p.identity()) : links.get(p.identity());
    if (link != null && link.devicePresent != count > 0) {
      link.devicePresent = count > 0;
      link.ref.tell(new HubLink.DevicePresent(link.devicePresent));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onLinkUp(LinkUp u) {
    Link link = links.get(u.identity());
    if (link != null) {
      link.up = true;
      link.outstanding = 0;
      Instant now = linkDeps.clock().instant();
      boolean wasOffline = status.connectivity() == UpstreamStatus.Connectivity.OFFLINE;
      Instant offlineSince = status.since();
      if (status.moveTo(UpstreamStatus.Connectivity.ONLINE, now)) {
        if (wasOffline) {
          counters.offlineEnded(Duration.between(offlineSince, now));
        }
        context.getLog().info("Uplink online: connected to {}", settings.addressText());
      }
      deliver(link);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onConfirmed(Confirmed c) {
    Link link = links.get(c.identity());
    if (link != null) {
      link.outstanding = Math.max(0, link.outstanding - c.positions().size());
    }
    acknowledge(c.positions());
    if (link != null) {
      deliver(link);
    }
    return Behaviors.same();
  }

  /**
   * Confirmed messages are acknowledged in the store one write at a time: what is confirmed while a
   * write is on its way goes in the next, so a busy uplink costs one store operation per write
   * rather than one per confirmation. Bounded by max-in-flight (they are all in flight).
   */
  private void acknowledge(List<Position> positions) {
    unwrittenAcks.addAll(positions);
    if (!acknowledging) {
      writeAcks();
    }
  }

  private void writeAcks() {
    List<Position> positions = List.copyOf(unwrittenAcks);
    unwrittenAcks.clear();
    acknowledging = true;
    context.pipeToSelf(store.acknowledge(Endpoint.UPSTREAM, positions), (v, e) -> new Acknowledged(positions, e));
  }

  private Behavior<Command> onAcknowledged(Acknowledged a) {
    acknowledging = false;
    if (!unwrittenAcks.isEmpty()) {
      writeAcks();
    }
    // Written: no read returns them any more, so they leave the in-flight set and make room.
    a.positions().forEach(inFlight::remove);
    if (a.failure() != null) {
      cursor.rewind();
      // Not acknowledged: the next read returns them and they are sent again (at least once).
      context.getLog().warn("Uplink: could not acknowledge {} sent messages in the store: {}", a.positions().size(), a.failure().getMessage());
    }
    pumpSoon();
    return Behaviors.same();
  }

  private Behavior<Command> onLinkDown(LinkDown d) {
    Link link = links.get(d.identity());
    if (link == null) {
      d.returned().forEach(o -> readAgain(o.position()));
      return Behaviors.same();
    }
    link.up = false;
    link.outstanding = 0;
    List<HubLink.Outgoing> returned = d.returned();
    for (int i = returned.size() - 1; i >= 0; i--) {
      link.waiting.addFirst(returned.get(i)); // in their order, ahead of what waited behind them
    }
    if (d.hubUnreachable() && links.values().stream().noneMatch(l -> l.up)
        && status.moveTo(UpstreamStatus.Connectivity.OFFLINE, linkDeps.clock().instant())) {
      context.getLog().warn("Uplink offline: {} ({}); messages are kept in the store and sent when it is back", settings.addressText(), d.reason());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onIdleCloseRequest(IdleCloseRequest r) {
    Link link = links.get(r.identity());
    if (link != null && link.waiting.isEmpty() && link.outstanding == 0 && !link.devicePresent) {
      links.remove(r.identity());
      context.unwatch(link.ref);
      link.ref.tell(HubLink.Close.INSTANCE);
      context.getLog().debug("Uplink: closing the idle connection of {}", r.identity());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onLinkClosed(LinkClosed c) {
    // Whatever it still had goes back to the store's reading (a closed link has no window any more).
    c.returned().forEach(o -> readAgain(o.position()));
    unpark();
    return Behaviors.same();
  }

  private Behavior<Command> onTerminated(Terminated t) {
    links.entrySet().removeIf(e -> {
      if (e.getValue().ref.equals(t.getRef())) {
        // An unexpected stop: forget its messages so the store's next read returns them.
        e.getValue().waiting.forEach(o -> inFlight.remove(o.position()));
        inFlight.values().removeIf(identity -> identity.equals(e.getKey()));
        cursor.rewind();
        context.getLog().warn("Uplink: the connection of {} stopped unexpectedly; its messages will be read again", e.getKey());
        return true;
      }
      return false;
    });
    unpark();
    return Behaviors.same();
  }

  /** Gives parked identities a link when there is room for one. */
  private void unpark() {
    var it = parked.entrySet().iterator();
    while (it.hasNext() && links.size() < settings.maxConnections()) {
      var e = it.next();
      Link link = linkFor(e.getKey());
      link.waiting.addAll(e.getValue());
      it.remove();
    }
  }

  // --- stopping ------------------------------------------------------------------------------------------------

  /** Links told to close that have not answered yet. */
  private int closing;

  private Behavior<Command> onStop(Stop s) {
    stopping = s.done();
    timers.cancelAll();
    if (!unwrittenAcks.isEmpty()) {
      store.acknowledge(Endpoint.UPSTREAM, List.copyOf(unwrittenAcks)); // from here on each goes at once
      unwrittenAcks.clear();
    }
    if (links.isEmpty()) {
      return finishStop();
    }
    for (Link link : links.values()) {
      context.unwatch(link.ref);
      link.ref.tell(HubLink.Close.INSTANCE);
    }
    closing = links.size();
    links.clear();
    // Closed links answer LinkClosed; count them down, and do not wait for ever.
    timers.startSingleTimer("stop-timeout", Pump.POLL, settings.stopTimeout());
    return Behaviors.receive(Command.class)
        .onMessage(LinkClosed.class, c -> {
          closing--;
          return closing <= 0 ? finishStop() : Behaviors.same();
        })
        .onMessageEquals(Pump.POLL, this::finishStop)
        .onMessage(Confirmed.class, c -> {
          store.acknowledge(Endpoint.UPSTREAM, c.positions());
          return Behaviors.same();
        })
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> finishStop() {
    stopping.complete(Done.getInstance());
    return Behaviors.stopped();
  }
}

package dev.clearway.actors.router;

import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.actors.session.DeviceSession;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.Position;
import dev.clearway.streams.store.StoredMessage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Delivers one module-input endpoint's store queue, {@code BrokeredEndpoint("/modules/{m}/inputs/{i}")},
 * to that module through its device session, and acknowledges a message in the store only when the
 * module acknowledged it (MQTT PUBACK). A module that is not connected simply leaves its messages
 * in the store, where their time-to-live applies.
 *
 * <p>At most {@code maxInflight} messages are out at once. One that is not acknowledged within
 * {@code redeliverAfter} (its session was lost with a node, say) is sent again: delivery is at
 * least once, never lost.
 */
public final class ModuleInputDelivery {

  /** What the delivery actor handles (node-local: it reads the local store). */
  public sealed interface Command extends NoSerializationVerificationNeeded permits Poll, Outcome, Acknowledged {}

  private enum Poll implements Command { INSTANCE }

  private record Outcome(DeviceSession.CloudToDeviceOutcome outcome) implements Command {}

  /** The store wrote the acknowledgement of a delivered message ({@code failure} null), or could not. */
  private record Acknowledged(String lockToken, Throwable failure) implements Command {}

  /**
   * @param pollInterval how often the queue is looked at when nothing else prompts it
   * @param maxInflight messages delivered and not yet acknowledged
   * @param redeliverAfter when an unacknowledged message is sent again
   * @param maxReadBytes the most message bytes one look at the queue reads
   */
  public record Settings(Duration pollInterval, int maxInflight, Duration redeliverAfter, int maxReadBytes) {}

  /** A delivered message: where it is stored, and when it was handed over (clock, and {@link System#nanoTime} for the metrics). */
  private record Inflight(Position position, Message message, Instant sentAt, long sentNanos) {}

  private final ActorContext<Command> context;
  private final MessageStore store;
  private final Endpoint.ModuleInput endpoint;
  private final String moduleIdentity;
  private final ClusterSharding sharding;
  private final Settings settings;
  private final Clock clock;
  private final ActorRef<DeviceSession.CloudToDeviceOutcome> outcomes;
  private final Map<String, Inflight> inflight = new LinkedHashMap<>();
  private final GatewayCounters counters;

  /**
   * @param gatewayDeviceId the gateway's own device id: local modules are its modules
   * @param counters where messages the module acknowledged are counted as sent
   */
  public static Behavior<Command> create(MessageStore store, Endpoint.ModuleInput endpoint, String gatewayDeviceId,
      ClusterSharding sharding, Settings settings, Clock clock, GatewayCounters counters) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.setLoggerName(ModuleInputDelivery.class);
      timers.startTimerWithFixedDelay(Poll.INSTANCE, settings.pollInterval());
      return new ModuleInputDelivery(ctx, store, endpoint, gatewayDeviceId + "/" + endpoint.moduleId(), sharding, settings, clock, counters)
          .running();
    }));
  }

  private ModuleInputDelivery(ActorContext<Command> context, MessageStore store, Endpoint.ModuleInput endpoint, String moduleIdentity,
      ClusterSharding sharding, Settings settings, Clock clock, GatewayCounters counters) {
    this.counters = counters;
    this.context = context;
    this.store = store;
    this.endpoint = endpoint;
    this.moduleIdentity = moduleIdentity;
    this.sharding = sharding;
    this.settings = settings;
    this.clock = clock;
    this.outcomes = context.messageAdapter(DeviceSession.CloudToDeviceOutcome.class, Outcome::new);
  }

  private Behavior<Command> running() {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Poll.INSTANCE, this::deliver)
        .onMessage(Outcome.class, this::onOutcome)
        .onMessage(Acknowledged.class, a -> {
          inflight.remove(a.lockToken());
          if (a.failure() != null) {
            // Delivered again after a restart: at least once.
            context.getLog().warn("{}: could not acknowledge a delivered message in the store: {}", endpoint.sinkText(), a.failure().getMessage());
          }
          return deliver();
        })
        .build();
  }

  /** Sends what the queue holds beyond what is in flight, up to the window; resends stale ones. */
  private Behavior<Command> deliver() {
    Instant now = clock.instant();
    inflight.values().removeIf(f -> f.sentAt().plus(settings.redeliverAfter()).isBefore(now)); // sent again below
    if (inflight.size() >= settings.maxInflight()) {
      return Behaviors.same();
    }
    // The store returns the oldest unacknowledged messages, in flight or not; skip those out already.
    // Read past the window: the first messages of the queue may be the ones already in flight.
    List<StoredMessage> next = store.next(endpoint, settings.maxInflight() * 2, settings.maxReadBytes());
    for (StoredMessage m : next) {
      if (inflight.size() >= settings.maxInflight()) {
        break;
      }
      String lockToken = m.position().priority() + ":" + m.position().sequence();
      if (inflight.containsKey(lockToken)) {
        continue;
      }
      inflight.put(lockToken, new Inflight(m.position(), m.message(), now, System.nanoTime()));
      sharding.entityRefFor(DeviceSession.TYPE_KEY, moduleIdentity).tell(new DeviceSession.CloudToDevice(
          lockToken, systemProperties(m.message()), new LinkedHashMap<>(m.message().properties()), m.message().body(), outcomes));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onOutcome(Outcome o) {
    Inflight f = inflight.get(o.outcome().lockToken());
    if (f == null) {
      return Behaviors.same();
    }
    if (o.outcome().completed()) {
      counters.sender(GatewayCounters.identityOf(f.message()), moduleIdentity, endpoint.input())
          .sent(f.message(), f.position().priority(), System.nanoTime() - f.sentNanos());
      // It stays in flight until the store has written the acknowledgement: a read before that
      // would return it again and it would be delivered twice.
      String lockToken = o.outcome().lockToken();
      context.pipeToSelf(store.acknowledge(endpoint, List.of(f.position())), (v, e) -> new Acknowledged(lockToken, e));
      return Behaviors.same();
    }
    // Refused (the module's session queue is full): leave it in flight; it is resent after redeliverAfter.
    context.getLog().debug("{}: delivery of {} refused: {}", endpoint.sinkText(), o.outcome().lockToken(), o.outcome().detail());
    return Behaviors.same();
  }

  /** The message's system properties by route-language name, with the input it is delivered on. */
  private Map<String, String> systemProperties(Message m) {
    Map<String, String> props = new HashMap<>();
    m.systemProperties().forEach((SystemProperty p, String v) -> props.put(p.propertyName(), v));
    props.put(SystemProperty.INPUT_NAME.propertyName(), endpoint.input());
    return props;
  }
}

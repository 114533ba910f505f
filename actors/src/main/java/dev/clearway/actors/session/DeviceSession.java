package dev.clearway.actors.session;

import dev.clearway.actors.CborSerializable;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * The session of one identity ({@code device} or {@code device/module}): a Cluster Sharding entity,
 * so there is exactly one per identity in the whole cluster, whichever node the device reaches.
 *
 * <p>It knows which connection serves the identity now — a new connection takes over and the
 * previous one is told to close, on any node — and keeps the subscriptions of a persistent
 * (clean session 0) session across reconnects. Later it will also hold the twin cache, pending
 * method calls and cloud-to-device deliveries for whichever connection is current.
 */
public final class DeviceSession extends AbstractBehavior<DeviceSession.Command> {

  /** The sharding entity type; the entity id is the identity id. */
  public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "DeviceSession");

  /** Messages to a device session. */
  public sealed interface Command extends CborSerializable permits Attach, Detach, Subscribe, Unsubscribe {}

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

  /** The current connection subscribed (kept for a persistent session). */
  public record Subscribe(ActorRef<Notification> connection, Set<String> topicFilters) implements Command {}

  /** The current connection unsubscribed. */
  public record Unsubscribe(ActorRef<Notification> connection, Set<String> topicFilters) implements Command {}

  /**
   * The reply to {@link Attach}.
   *
   * @param sessionPresent whether a previous persistent session was resumed (MQTT CONNACK flag)
   * @param topicFilters the subscriptions restored from that session
   */
  public record Attached(boolean sessionPresent, Set<String> topicFilters) implements CborSerializable {}

  /** What a session tells a connection. */
  public sealed interface Notification extends CborSerializable permits TakenOver {}

  /** Another connection now serves this identity: close this one (IoT Hub's one-connection rule). */
  public record TakenOver(String identity) implements Notification {}

  private final String identity;
  private ActorRef<Notification> current;
  private boolean persistent;
  private final Set<String> topicFilters = new LinkedHashSet<>();

  public static Behavior<Command> create(String identity) {
    return Behaviors.setup(ctx -> new DeviceSession(ctx, identity));
  }

  private DeviceSession(ActorContext<Command> context, String identity) {
    super(context);
    this.identity = identity;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Attach.class, this::onAttach)
        .onMessage(Detach.class, this::onDetach)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .build();
  }

  private Behavior<Command> onAttach(Attach a) {
    if (current != null && !current.equals(a.connection())) {
      getContext().getLog().info("{}: a new connection takes over; closing the previous one", identity);
      current.tell(new TakenOver(identity));
    }
    current = a.connection();
    // MQTT 3.1.2.4: clean session 1 discards the previous session; 0 resumes it if there is one.
    boolean resumed = !a.cleanSession() && persistent;
    if (!resumed) {
      topicFilters.clear();
    }
    persistent = !a.cleanSession();
    a.replyTo().tell(new Attached(resumed, Set.copyOf(topicFilters)));
    return this;
  }

  private Behavior<Command> onDetach(Detach d) {
    if (d.connection().equals(current)) {
      current = null;
      if (!persistent) {
        topicFilters.clear(); // a clean session ends with its connection (3.1.2.4)
      }
    }
    return this;
  }

  private Behavior<Command> onSubscribe(Subscribe s) {
    if (s.connection().equals(current)) {
      topicFilters.addAll(s.topicFilters());
    }
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe u) {
    if (u.connection().equals(current)) {
      topicFilters.removeAll(u.topicFilters());
    }
    return this;
  }
}

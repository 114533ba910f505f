package dev.clearway.actors.mqtt;

import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.router.Ingress;
import java.util.ArrayDeque;
import org.apache.pekko.actor.Terminated;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import scala.runtime.BoxedUnit;

/**
 * Where a connection's stream meets its {@link MqttConnection} actor: one stage, inside the
 * connection's graph, for both directions (in place of an actor sink plus a separately
 * materialized actor source, which cost a second stream interpreter per connection).
 *
 * <ul>
 *   <li>Inbound, with backpressure: {@link MqttConnection.StreamInit} first, then each packet as
 *       {@link MqttConnection.FromDevice}; the next packet is pulled only after the actor's
 *       {@link MqttConnection.Ack}. The end of the inbound side is told as
 *       {@link MqttConnection.StreamCompleted} or {@link MqttConnection.StreamFailed}; it does not
 *       stop the outbound side (the last packets of a closing connection still go out).
 *   <li>Outbound: the actor tells {@link MqttConnection.Send} to the reference it got in
 *       {@code StreamInit}; at most {@code outboundBuffer} packets wait for the network (more is a
 *       bug: the connection fails). {@link MqttConnection.Close} completes the outbound side once
 *       what was sent before it has gone out.
 *   <li>Telemetry, once the actor handed over the connection's {@link TelemetryLane} (the device is
 *       connected): each telemetry PUBLISH goes to the router from here, and its PUBACK is sent
 *       from here once the message is stored. Up to the lane's max-pending-publishes messages wait
 *       for the store at once; the next packet is read while fewer wait and the router's ingress
 *       took the last one. Every other packet still goes to the actor, one at a time, as above.
 *       PUBACKs go out in the order of the PUBLISHes (MQTT 3.1.1, 4.6): one the actor sends (for
 *       twin or method traffic) waits behind the telemetry before it.
 *   <li>The actor's termination fails the stream, which closes the socket at once: the actor stops
 *       after its close linger (or at once when it gives up on a connection), whatever the peer does.
 * </ul>
 */
final class ConnectionPort extends GraphStage<FlowShape<MqttInbound, MqttPacket>> {

  private final ActorRef<MqttConnection.Command> connection;
  private final int outboundBuffer;
  private final Inlet<MqttInbound> in = Inlet.create("ConnectionPort.in");
  private final Outlet<MqttPacket> out = Outlet.create("ConnectionPort.out");
  private final FlowShape<MqttInbound, MqttPacket> shape = FlowShape.of(in, out);

  /**
   * @param connection the connection actor
   * @param outboundBuffer packets that may wait for the network ({@code clearway.mqtt.outbound-buffer})
   */
  ConnectionPort(ActorRef<MqttConnection.Command> connection, int outboundBuffer) {
    this.connection = connection;
    this.outboundBuffer = outboundBuffer;
  }

  @Override
  public FlowShape<MqttInbound, MqttPacket> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("connection-port");
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private ActorRef<Object> self;
      /** Packets for the device waiting for the network; made on first use (an idle connection has none). */
      private ArrayDeque<MqttPacket> waiting;
      /** Close (or the actor's end) arrived: complete the outbound side once {@code waiting} is empty. */
      private boolean closing;
      /** The device is connected and its telemetry is taken here; null until then. */
      private TelemetryLane lane;
      /** A packet went to the actor: nothing more is read until its Ack (true until the first). */
      private boolean actorBusy = true;
      /** PUBACKs owed to the device, oldest first; made at the first telemetry message. */
      private ArrayDeque<Owed> owed;
      /** Telemetry messages in {@code owed} not yet stored. */
      private int awaitingStore;
      /** The last telemetry message waits for room in the ingress: nothing is read meanwhile. */
      private boolean enqueueing;
      /** The router failed a message: the actor closes the connection; nothing more is read. */
      private boolean routingFailed;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            onPacket(grab(in));
          }

          @Override
          public void onUpstreamFinish() {
            connection.tell(MqttConnection.StreamCompleted.INSTANCE);
          }

          @Override
          public void onUpstreamFailure(Throwable ex) {
            connection.tell(new MqttConnection.StreamFailed(ex));
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (waiting != null && !waiting.isEmpty()) {
              push(out, waiting.poll());
            }
            completeIfClosed();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            // The network takes nothing more; what the device sent may still be read.
            waiting = null;
          }
        });
      }

      @Override
      public void preStart() {
        StageActor stage = getStageActor(message -> {
          onMessage(message._2());
          return BoxedUnit.UNIT;
        });
        stage.watch(Adapter.toClassic(connection));
        self = Adapter.toTyped(stage.ref());
        connection.tell(new MqttConnection.StreamInit(self.narrow(), self.narrow()));
      }

      private void onMessage(Object m) {
        if (m instanceof Stored stored) {
          onStored(stored);
        } else if (m == Enqueued.INSTANCE) {
          enqueueing = false;
          readIfRoom();
        } else if (m == MqttConnection.Ack.INSTANCE) {
          actorBusy = false;
          readIfRoom();
        } else if (m instanceof MqttConnection.Send send) {
          onSend(send.packet());
        } else if (m instanceof MqttConnection.TakeTelemetry take) {
          lane = take.lane();
        } else if (m == MqttConnection.Close.INSTANCE) {
          closing = true;
          completeIfClosed();
        } else if (m instanceof Terminated) {
          // The actor stopped: after its Close and close linger, at once when it gave up on the
          // connection, or because it failed. The stream fails, and with it the socket closes now,
          // whatever is still unsent (a peer that stopped reading cannot hold it open).
          failStage(new ConnectionActorStopped());
        }
      }

      private void onPacket(MqttInbound element) {
        if (lane == null) {
          toActor(new MqttConnection.FromDevice(self.narrow(), element));
          return;
        }
        lane.lastHeardNanos = System.nanoTime();
        if (element instanceof MqttPacket.Publish publish) {
          TelemetryLane.Classified classified = lane.classify(publish);
          if (classified instanceof TelemetryLane.TelemetryMessage t) {
            route(publish, t);
          } else {
            toActor(new MqttConnection.PublishFromDevice(self.narrow(), publish, classified));
          }
        } else {
          toActor(new MqttConnection.FromDevice(self.narrow(), element));
        }
      }

      private void toActor(MqttConnection.Command command) {
        actorBusy = true;
        connection.tell(command);
      }

      /** Hands a telemetry message to the router; its PUBACK (QoS 1) is owed from now on, in order. */
      private void route(MqttPacket.Publish publish, TelemetryLane.TelemetryMessage t) {
        lane.meters.received(t.message());
        Owed o = new Owed(publish.packetId(), publish.qos() == 1, System.nanoTime(), false);
        if (owed == null) {
          owed = new ArrayDeque<>();
        }
        owed.addLast(o);
        awaitingStore++;
        Ingress.Submitted submitted = lane.ingress.submit(t.message());
        // Completed on the store's writer thread (or the router's): the stage actor takes it from there.
        ActorRef<Object> to = self;
        submitted.handled().whenComplete((done, failure) -> to.tell(new Stored(o, failure)));
        if (!submitted.enqueuedNow()) {
          enqueueing = true;
          submitted.enqueued().whenComplete((done, failure) -> to.tell(failure == null ? Enqueued.INSTANCE : new Stored(o, failure)));
        }
        readIfRoom();
      }

      private void onStored(Stored stored) {
        if (stored.failure() != null) {
          if (!routingFailed) {
            routingFailed = true;
            connection.tell(new MqttConnection.RoutingFailed(stored.failure()));
          }
          return;
        }
        Owed o = stored.owed();
        o.handled = true;
        awaitingStore--;
        lane.meters.processed(System.nanoTime() - o.arrivedNanos);
        // The router stores one connection's messages in order, but acknowledge in order whatever happens.
        while (!owed.isEmpty() && owed.peekFirst().handled) {
          Owed done = owed.removeFirst();
          if (done.qos1) {
            toDevice(new MqttPacket.PubAck(done.packetId));
          }
        }
        readIfRoom();
      }

      /** Reads the next packet unless the actor has one, or too many messages wait for the router and store. */
      private void readIfRoom() {
        boolean storeBound = lane != null && (enqueueing || awaitingStore >= lane.maxPendingPublishes);
        if (lane != null && lane.readPaused != storeBound) {
          lane.readPaused = storeBound;
          if (!storeBound) {
            lane.lastHeardNanos = System.nanoTime(); // the device's silence counts from here again
          }
        }
        if (!actorBusy && !storeBound && !routingFailed && !closing && !isClosed(in) && !hasBeenPulled(in)) {
          pull(in);
        }
      }

      /** A packet from the actor. */
      private void onSend(MqttPacket packet) {
        if (packet instanceof MqttPacket.PubAck a && owed != null && !owed.isEmpty()) {
          owed.addLast(new Owed(a.packetId(), true, 0, true)); // behind the telemetry still being stored
          return;
        }
        toDevice(packet);
      }

      private void toDevice(MqttPacket packet) {
        if (isClosed(out) || closing) {
          return;
        }
        if (isAvailable(out)) {
          push(out, packet);
          return;
        }
        if (waiting == null) {
          waiting = new ArrayDeque<>();
        }
        if (waiting.size() >= outboundBuffer) {
          BufferOverflowException e = new BufferOverflowException("more than " + outboundBuffer
              + " packets wait for the device (clearway.mqtt.outbound-buffer)");
          connection.tell(new MqttConnection.StreamFailed(e));
          failStage(e);
          return;
        }
        waiting.add(packet);
      }

      private void completeIfClosed() {
        if (closing && !isClosed(out) && (waiting == null || waiting.isEmpty())) {
          complete(out);
        }
      }
    };
  }

  /** A PUBACK owed to the device (or, for QoS 0 telemetry, a message waiting for the store without one). */
  private static final class Owed {
    final int packetId;
    final boolean qos1;
    final long arrivedNanos;
    boolean handled;

    Owed(int packetId, boolean qos1, long arrivedNanos, boolean handled) {
      this.packetId = packetId;
      this.qos1 = qos1;
      this.arrivedNanos = arrivedNanos;
      this.handled = handled;
    }
  }

  /** The router handled a telemetry message ({@code failure} null: stored, or routed nowhere). */
  private record Stored(Owed owed, Throwable failure) {}

  /** The router's ingress took the message that waited for room. */
  private enum Enqueued { INSTANCE }

  /** How a connection's stream ends when its actor stopped: the socket is closed, not drained. */
  static final class ConnectionActorStopped extends RuntimeException {
    ConnectionActorStopped() {
      super("the connection actor stopped", null, false, false);
    }
  }
}

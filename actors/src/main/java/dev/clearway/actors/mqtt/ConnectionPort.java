package dev.clearway.actors.mqtt;

import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
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

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            connection.tell(new MqttConnection.FromDevice(self.narrow(), grab(in)));
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
        if (m == MqttConnection.Ack.INSTANCE) {
          if (!isClosed(in) && !hasBeenPulled(in)) {
            pull(in);
          }
        } else if (m instanceof MqttConnection.Send send) {
          onSend(send.packet());
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

      private void onSend(MqttPacket packet) {
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

  /** How a connection's stream ends when its actor stopped: the socket is closed, not drained. */
  static final class ConnectionActorStopped extends RuntimeException {
    ConnectionActorStopped() {
      super("the connection actor stopped", null, false, false);
    }
  }
}

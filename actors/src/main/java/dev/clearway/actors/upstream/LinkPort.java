package dev.clearway.actors.upstream;

import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
 * Where one connection attempt's stream meets its {@link HubLink}: one stage inside the attempt's
 * graph, for both directions (in place of a separately materialized actor source and an actor
 * sink, which cost a second stream interpreter per link and a hop per packet sent).
 *
 * <ul>
 *   <li>Outbound: {@code first} (the CONNECT) goes out at once; then the packets the link tells the
 *       reference it got in {@link HubLink.StreamInit}. At most {@code outboundBuffer} wait for the
 *       network; more fails the stream ({@code clearway.upstream.outbound-buffer}).
 *       {@link HubLink.Close} completes the outbound side once what was sent before it has gone
 *       out; so does the link's termination.
 *   <li>Inbound, with backpressure: what the hub sends, as {@link HubLink.FromHub} batches of at
 *       most {@code inboundBatch} packets. Packets that arrive while the link works on a batch are
 *       gathered into the next, which goes once the link answers {@link HubLink.Ack}; when a batch
 *       is full, nothing more is read. The end of the inbound side is told as
 *       {@link HubLink.StreamEnded}, after the packets before it.
 * </ul>
 */
final class LinkPort extends GraphStage<FlowShape<MqttInbound, MqttPacket>> {
  private final ActorRef<HubLink.Command> link;
  private final int attempt;
  private final MqttPacket first;
  private final int outboundBuffer;
  private final int inboundBatch;
  private final Inlet<MqttInbound> in = Inlet.create("LinkPort.in");
  private final Outlet<MqttPacket> out = Outlet.create("LinkPort.out");
  private final FlowShape<MqttInbound, MqttPacket> shape = FlowShape.of(in, out);

  LinkPort(ActorRef<HubLink.Command> link, int attempt, MqttPacket first, int outboundBuffer, int inboundBatch) {
    this.link = link;
    this.attempt = attempt;
    this.first = first;
    this.outboundBuffer = outboundBuffer;
    this.inboundBatch = inboundBatch;
  }

  @Override
  public FlowShape<MqttInbound, MqttPacket> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("link-port");
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private org.apache.pekko.actor.ActorRef self;
      private final ArrayDeque<MqttPacket> waiting = new ArrayDeque<>();
      /** Read from the hub and not yet handed to the link. */
      private List<MqttInbound> gathered = new ArrayList<>();
      /** A batch is with the link: the next waits for its Ack. */
      private boolean withLink;
      private boolean closing;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            gathered.add(grab(in));
            handOver();
            if (gathered.size() < inboundBatch) {
              pull(in);
            }
          }

          @Override
          public void onUpstreamFinish() {
            ended(null);
          }

          @Override
          public void onUpstreamFailure(Throwable ex) {
            ended(ex);
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (!waiting.isEmpty()) {
              push(out, waiting.poll());
            }
            completeIfClosed();
          }

          @Override
          public void onDownstreamFinish(Throwable cause) {
            waiting.clear(); // the network takes nothing more; what the hub sent may still be read
          }
        });
      }

      @Override
      public void preStart() {
        StageActor stage = getStageActor(message -> {
          onMessage(message._2());
          return BoxedUnit.UNIT;
        });
        stage.watch(Adapter.toClassic(link));
        self = stage.ref();
        waiting.add(first);
        link.tell(new HubLink.StreamInit(attempt, self));
      }

      private void onMessage(Object m) {
        if (m == HubLink.Ack.INSTANCE) {
          withLink = false;
          handOver();
          if (!isClosed(in) && !hasBeenPulled(in) && gathered.size() < inboundBatch) {
            pull(in);
          }
        } else if (m instanceof MqttPacket packet) {
          onSend(packet);
        } else if (m == HubLink.Close.INSTANCE || m instanceof Terminated) {
          // Close, or the link stopped: what it sent before still goes out, then the outbound side ends.
          if (m instanceof Terminated && !isClosed(in)) {
            cancel(in);
          }
          closing = true;
          completeIfClosed();
        }
      }

      /** Gives the link what was gathered, unless it still works on the previous batch. */
      private void handOver() {
        if (!withLink && !gathered.isEmpty()) {
          withLink = true;
          link.tell(new HubLink.FromHub(attempt, gathered));
          gathered = new ArrayList<>();
        }
      }

      private void ended(Throwable failure) {
        if (!gathered.isEmpty()) {
          link.tell(new HubLink.FromHub(attempt, gathered)); // the last packets, before the end
          gathered = new ArrayList<>();
        }
        link.tell(new HubLink.StreamEnded(attempt, failure));
      }

      private void onSend(MqttPacket packet) {
        if (isClosed(out) || closing) {
          return;
        }
        if (isAvailable(out) && waiting.isEmpty()) {
          push(out, packet);
          return;
        }
        if (waiting.size() >= outboundBuffer) {
          BufferOverflowException e = new BufferOverflowException("more than " + outboundBuffer
              + " packets wait for the hub (clearway.upstream.outbound-buffer)");
          link.tell(new HubLink.StreamEnded(attempt, e));
          failStage(e);
          return;
        }
        waiting.add(packet);
      }

      private void completeIfClosed() {
        if (closing && !isClosed(out) && waiting.isEmpty()) {
          complete(out);
        }
      }
    };
  }
}

package dev.clearway.streams.mqtt;

import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * The session-opening rules that are pure protocol: a client's first packet is a CONNECT (3.1.0-1)
 * and it sends CONNECT only once (3.1.0-2). A violation becomes an {@link MqttDecodeError}. After
 * any error, its own or one from upstream, the stage emits it and completes, cancelling upstream:
 * the connection is over (4.8).
 */
public final class MqttSessionOpening extends GraphStage<FlowShape<MqttInbound, MqttInbound>> {

  private final Inlet<MqttInbound> in = Inlet.create("MqttSessionOpening.in");
  private final Outlet<MqttInbound> out = Outlet.create("MqttSessionOpening.out");
  private final FlowShape<MqttInbound, MqttInbound> shape = FlowShape.of(in, out);

  @Override
  public FlowShape<MqttInbound, MqttInbound> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private boolean connected;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            MqttInbound checked = check(grab(in));
            push(out, checked);
            if (checked instanceof MqttError) {
              completeStage();
            }
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            pull(in);
          }
        });
      }

      private MqttInbound check(MqttInbound element) {
        if (element instanceof MqttError) {
          return element;
        }
        boolean isConnect = element instanceof MqttPacket.Connect;
        if (!connected && !isConnect) {
          return new MqttDecodeError("3.1.0-1", "first packet is "
              + MqttRules.name(((MqttPacket) element).type()) + ", not CONNECT");
        }
        if (connected && isConnect) {
          return new MqttDecodeError("3.1.0-2", "second CONNECT on one connection");
        }
        connected = true;
        return element;
      }
    };
  }
}

package dev.clearway.streams.mqtt;

import java.util.function.Function;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * A stage that frames a byte stream into packets ({@link FrameBuffer}) and emits what each packet,
 * or the framing error, becomes; after the first element that {@link #isLast} it completes,
 * cancelling upstream. It pulls only when it holds no complete packet, so it never holds more than
 * the largest packet plus one upstream chunk.
 *
 * @param <T> what it emits
 */
abstract class FramedStage<T> extends GraphStage<FlowShape<ByteString, T>> {
  private final int maxPacketSize;
  private final Inlet<ByteString> in;
  private final Outlet<T> out;
  private final FlowShape<ByteString, T> shape;

  FramedStage(String name, int maxPacketSize) {
    this.maxPacketSize = FrameBuffer.checkMaxPacketSize(maxPacketSize); // now, not at materialization
    this.in = Inlet.create(name + ".in");
    this.out = Outlet.create(name + ".out");
    this.shape = FlowShape.of(in, out);
  }

  /** What one materialization makes of each packet or framing error (it may keep state). */
  abstract Function<MqttFramed, T> newConverter();

  /** Whether the connection is over after this element. */
  abstract boolean isLast(T element);

  @Override
  public final FlowShape<ByteString, T> shape() {
    return shape;
  }

  @Override
  public final GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private final FrameBuffer frames = new FrameBuffer(maxPacketSize);
      private final Function<MqttFramed, T> converter = newConverter();

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            frames.add(grab(in));
            deliver();
          }

          @Override
          public void onUpstreamFinish() {
            // Packets still buffered are delivered on the next pulls; deliver() then completes.
            if (isAvailable(out)) {
              deliver();
            }
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            deliver();
          }
        });
      }

      /** Called only while {@code out} is available: emits one element or asks for more bytes. */
      private void deliver() {
        MqttFramed next = frames.next();
        if (next == null && isClosed(in) && !frames.isEmpty()) {
          next = frames.truncated();
        }
        if (next != null) {
          T element = converter.apply(next);
          push(out, element);
          if (isLast(element)) {
            completeStage(); // the element is delivered before completion; upstream is cancelled at once
          }
        } else if (!isClosed(in)) {
          if (!hasBeenPulled(in)) {
            pull(in);
          }
        } else {
          completeStage();
        }
      }
    };
  }
}

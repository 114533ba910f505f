package dev.clearway.streams.mqtt;

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
 * Splits a device's byte stream into packets by the remaining-length field of each fixed header
 * (2.2.3), whatever the chunk boundaries. Emits one {@link MqttFrame} per packet; on a malformed
 * remaining length, a packet over {@code maxPacketSize}, or a stream that ends inside a packet it
 * emits one {@link MqttFramingError} and completes.
 *
 * <p>A packet that is too large is refused from its fixed header alone, before any of its body is
 * buffered. The stage pulls only when it holds no complete packet, so it never holds more than
 * {@code maxPacketSize} plus one upstream chunk.
 */
public final class MqttFraming extends GraphStage<FlowShape<ByteString, MqttFramed>> {

  /** The smallest packet: a type byte and a one-byte remaining length of 0 (PINGREQ). */
  static final int MIN_PACKET_SIZE = 2;

  /** The largest packet 3.1.1 can express: 1 + 4 + 268,435,455 bytes (2.2.3). */
  static final int MAX_PACKET_SIZE = 1 + 4 + MqttRules.MAX_REMAINING_LENGTH;

  private final int maxPacketSize;
  private final Inlet<ByteString> in = Inlet.create("MqttFraming.in");
  private final Outlet<MqttFramed> out = Outlet.create("MqttFraming.out");
  private final FlowShape<ByteString, MqttFramed> shape = FlowShape.of(in, out);

  /**
   * @param maxPacketSize the largest packet accepted, fixed header included, in bytes
   *     ({@code clearway.streams.mqtt.max-packet-size})
   */
  public MqttFraming(int maxPacketSize) {
    if (maxPacketSize < MIN_PACKET_SIZE || maxPacketSize > MAX_PACKET_SIZE) {
      throw new IllegalArgumentException("maxPacketSize " + maxPacketSize + " is outside "
          + MIN_PACKET_SIZE + ".." + MAX_PACKET_SIZE);
    }
    this.maxPacketSize = maxPacketSize;
  }

  @Override
  public FlowShape<ByteString, MqttFramed> shape() {
    return shape;
  }

  /** The whole packet's size from a {@link MqttCodec#fixedHeader} result. */
  private static long packetSize(long header) {
    return (header >>> 8) + (header & 0xFF);
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      // Bytes received but not yet emitted; at most one partial packet plus one chunk.
      private ByteString buffer = ByteString.emptyByteString();

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            buffer = buffer.concat(grab(in));
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
        long header = MqttCodec.fixedHeader(buffer);
        long size = header < 0 ? -1 : packetSize(header);
        if (header == MqttCodec.HEADER_MALFORMED) {
          fail(MqttFramingError.Kind.MALFORMED_REMAINING_LENGTH, "remaining length longer than four bytes");
        } else if (size > maxPacketSize) {
          // Decided from the header alone: not one byte of the body is waited for.
          fail(MqttFramingError.Kind.PACKET_TOO_LARGE,
              "packet of " + size + " bytes exceeds max-packet-size " + maxPacketSize);
        } else if (size > 0 && buffer.length() >= size) {
          push(out, new MqttFrame(buffer.take((int) size)));
          buffer = buffer.drop((int) size);
        } else if (!isClosed(in)) {
          if (!hasBeenPulled(in)) {
            pull(in);
          }
        } else if (buffer.isEmpty()) {
          completeStage();
        } else {
          fail(MqttFramingError.Kind.TRUNCATED, "connection ended inside a packet, " + buffer.length() + " bytes pending");
        }
      }

      private void fail(MqttFramingError.Kind kind, String reason) {
        buffer = ByteString.emptyByteString();
        // The element is delivered before completion; upstream is cancelled at once.
        push(out, new MqttFramingError(kind, reason));
        completeStage();
      }
    };
  }
}

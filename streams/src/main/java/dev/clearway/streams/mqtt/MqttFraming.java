package dev.clearway.streams.mqtt;

import java.util.function.Function;

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
public final class MqttFraming extends FramedStage<MqttFramed> {

  /**
   * @param maxPacketSize the largest packet accepted, fixed header included, in bytes
   *     ({@code clearway.streams.mqtt.max-packet-size})
   */
  public MqttFraming(int maxPacketSize) {
    super("MqttFraming", maxPacketSize);
  }

  @Override
  Function<MqttFramed, MqttFramed> newConverter() {
    return Function.identity();
  }

  @Override
  boolean isLast(MqttFramed element) {
    return element instanceof MqttFramingError;
  }
}

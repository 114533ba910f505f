package dev.clearway.streams.mqtt;

import org.apache.pekko.util.ByteString;

/**
 * One connection's framing state: bytes in, whole packets out by the remaining-length field of
 * each fixed header (2.2.3), whatever the chunk boundaries. A packet that is too large is refused
 * from its fixed header alone, before any of its body is buffered. Used by the stages that frame
 * ({@link MqttFraming}, {@link MqttDecoding}); not thread-safe, like the stage that owns it.
 */
final class FrameBuffer {

  /** The smallest packet: a type byte and a one-byte remaining length of 0 (PINGREQ). */
  static final int MIN_PACKET_SIZE = 2;

  /** The largest packet 3.1.1 can express: 1 + 4 + 268,435,455 bytes (2.2.3). */
  static final int MAX_PACKET_SIZE = 1 + 4 + MqttRules.MAX_REMAINING_LENGTH;

  private final int maxPacketSize;
  // Bytes received but not yet taken; at most one partial packet plus one chunk.
  private ByteString buffer = ByteString.emptyByteString();

  FrameBuffer(int maxPacketSize) {
    this.maxPacketSize = checkMaxPacketSize(maxPacketSize);
  }

  /** {@code maxPacketSize}, if it is one 3.1.1 can express. */
  static int checkMaxPacketSize(int maxPacketSize) {
    if (maxPacketSize < MIN_PACKET_SIZE || maxPacketSize > MAX_PACKET_SIZE) {
      throw new IllegalArgumentException("maxPacketSize " + maxPacketSize + " is outside "
          + MIN_PACKET_SIZE + ".." + MAX_PACKET_SIZE);
    }
    return maxPacketSize;
  }

  void add(ByteString chunk) {
    buffer = buffer.concat(chunk);
  }

  boolean isEmpty() {
    return buffer.isEmpty();
  }

  /**
   * The next whole packet; or a framing error, after which the connection is over; or null when
   * more bytes are needed.
   */
  MqttFramed next() {
    long header = MqttCodec.fixedHeader(buffer);
    long size = header < 0 ? -1 : (header >>> 8) + (header & 0xFF);
    if (header == MqttCodec.HEADER_MALFORMED) {
      return error(MqttFramingError.Kind.MALFORMED_REMAINING_LENGTH, "remaining length longer than four bytes");
    }
    if (size > maxPacketSize) {
      // Decided from the header alone: not one byte of the body is waited for.
      return error(MqttFramingError.Kind.PACKET_TOO_LARGE, "packet of " + size + " bytes exceeds max-packet-size " + maxPacketSize);
    }
    if (size > 0 && buffer.length() >= size) {
      MqttFrame frame = new MqttFrame(buffer.take((int) size));
      buffer = buffer.drop((int) size);
      return frame;
    }
    return null;
  }

  /** The error for bytes left when the stream ended inside a packet; only when not {@link #isEmpty()}. */
  MqttFramingError truncated() {
    return error(MqttFramingError.Kind.TRUNCATED, "connection ended inside a packet, " + buffer.length() + " bytes pending");
  }

  private MqttFramingError error(MqttFramingError.Kind kind, String reason) {
    buffer = ByteString.emptyByteString();
    return new MqttFramingError(kind, reason);
  }
}

package dev.clearway.streams.mqtt;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.pekko.util.ByteString;

/**
 * Builds one packet in a single array: the body is written after five free bytes, and the fixed
 * header is put right in front of it once the remaining length is known, so nothing is copied twice.
 */
final class MqttWriter {

  /** One type/flags byte plus at most four remaining-length bytes (2.2.3). */
  private static final int MAX_HEADER = 5;

  private byte[] buf;
  private int pos = MAX_HEADER;

  MqttWriter(int bodySizeHint) {
    buf = new byte[MAX_HEADER + Math.max(bodySizeHint, 16)];
  }

  MqttWriter u8(int value) {
    ensure(1);
    buf[pos++] = (byte) value;
    return this;
  }

  MqttWriter u16(int value) {
    ensure(2);
    buf[pos++] = (byte) (value >>> 8);
    buf[pos++] = (byte) value;
    return this;
  }

  /** A length-prefixed UTF-8 string (1.5.3); packet constructors already checked it fits. */
  MqttWriter utf8(String s) {
    byte[] encoded = s.getBytes(StandardCharsets.UTF_8);
    u16(encoded.length);
    ensure(encoded.length);
    System.arraycopy(encoded, 0, buf, pos, encoded.length);
    pos += encoded.length;
    return this;
  }

  /** Length-prefixed binary data (3.1.3.3). */
  MqttWriter binary(ByteString data) {
    u16(data.length());
    return raw(data);
  }

  /** Bytes without a length prefix (a PUBLISH payload runs to the end of the packet, 3.3.3). */
  MqttWriter raw(ByteString data) {
    ensure(data.length());
    data.copyToBuffer(ByteBuffer.wrap(buf, pos, data.length()));
    pos += data.length();
    return this;
  }

  /** Prepends the fixed header (2.2) and returns the packet without copying the array again. */
  ByteString toPacket(int firstByte) {
    int remaining = pos - MAX_HEADER;
    if (remaining > MqttRules.MAX_REMAINING_LENGTH) {
      throw new IllegalArgumentException("packet body of " + remaining
          + " bytes exceeds the 268435455 a remaining length can announce (MQTT 3.1.1 2.2.3)");
    }
    int lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
    int start = MAX_HEADER - 1 - lengthBytes;
    buf[start] = (byte) firstByte;
    // Seven bits per byte, least significant first, continuation bit on all but the last (2.2.3).
    int value = remaining;
    for (int i = 1; i <= lengthBytes; i++) {
      int digit = value & 0x7F;
      value >>>= 7;
      buf[start + i] = (byte) (i < lengthBytes ? digit | 0x80 : digit);
    }
    return ByteString.fromArrayUnsafe(buf, start, pos - start);
  }

  private void ensure(int more) {
    if (pos + more > buf.length) {
      long wanted = Math.max((long) buf.length * 2, (long) pos + more);
      buf = Arrays.copyOf(buf, (int) Math.min(wanted, Integer.MAX_VALUE - 8));
    }
  }
}

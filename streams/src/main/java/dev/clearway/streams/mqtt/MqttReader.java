package dev.clearway.streams.mqtt;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * A cursor over one packet's variable header and payload. Reads never throw: a read past the end or
 * an ill-formed string records the first {@link #error()} and returns a sentinel (-1 or null), which
 * the decoder turns into its result.
 */
final class MqttReader {

  private final ByteString frame;
  private final ByteBuffer bytes;
  private final int end;
  private final String layoutSection;
  private int pos;
  private MqttDecodeError error;

  /** Reads {@code frame[from, end)}; a short read cites {@code layoutSection}. */
  MqttReader(ByteString frame, int from, int end, String layoutSection) {
    this.frame = frame;
    // asByteBuffer wraps the frame's array without copying when the frame is one array.
    this.bytes = frame.asByteBuffer().slice();
    this.pos = from;
    this.end = end;
    this.layoutSection = layoutSection;
  }

  MqttDecodeError error() {
    return error;
  }

  int remaining() {
    return end - pos;
  }

  /** An unsigned byte, or -1. */
  int u8() {
    if (!need(1, "a byte")) {
      return -1;
    }
    return bytes.get(pos++) & 0xFF;
  }

  /** A big-endian two-byte integer (1.5.2), or -1. */
  int u16() {
    if (!need(2, "a two-byte integer")) {
      return -1;
    }
    int value = ((bytes.get(pos) & 0xFF) << 8) | (bytes.get(pos + 1) & 0xFF);
    pos += 2;
    return value;
  }

  /** Length-prefixed binary data (3.1.3.3, 3.1.3.5), or null. */
  ByteString binary() {
    int length = u16();
    if (length < 0 || !need(length, length + " bytes of data")) {
      return null;
    }
    ByteString data = frame.slice(pos, pos + length);
    pos += length;
    return data;
  }

  /** Everything up to the end of the packet (a PUBLISH payload, 3.3.3). */
  ByteString rest() {
    ByteString data = frame.slice(pos, end);
    pos = end;
    return data;
  }

  /**
   * A length-prefixed UTF-8 string (1.5.3), or null. It must be well-formed UTF-8 without encoded
   * surrogates (1.5.3-1) and without U+0000 (1.5.3-2); Java's strict decoder rejects overlong forms,
   * surrogates and code points above U+10FFFF.
   */
  String utf8() {
    int length = u16();
    if (length < 0 || !need(length, "a string of " + length + " bytes")) {
      return null;
    }
    int from = pos;
    pos += length;
    // Fast path: topics and client ids are nearly always ASCII.
    boolean ascii = true;
    for (int i = from; i < pos; i++) {
      byte b = bytes.get(i);
      if (b == 0) {
        return fail("1.5.3-2", "string contains U+0000");
      }
      ascii &= b > 0;
    }
    if (ascii) {
      byte[] chars = new byte[length];
      bytes.get(from, chars);
      return new String(chars, StandardCharsets.ISO_8859_1);
    }
    try {
      CharBuffer decoded = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes.duplicate().position(from).limit(pos));
      return decoded.toString();
    } catch (CharacterCodingException e) {
      return fail("1.5.3-1", "string is not well-formed UTF-8");
    }
  }

  /** A packet identifier, non-zero (2.3.1-1), or -1. */
  int packetId() {
    int id = u16();
    return id < 0 || broken(MqttRules.packetId(id)) ? -1 : id;
  }

  /** A topic name: a string, non-empty, without wildcards (4.7.3-1, 3.3.2-2), or null. */
  String topicName() {
    String topic = utf8();
    return topic == null || broken(MqttRules.topicName(topic)) ? null : topic;
  }

  /** A topic filter with valid wildcards (4.7.1, 4.7.3-1), or null. */
  String topicFilter() {
    String filter = utf8();
    return filter == null || broken(MqttRules.topicFilter(filter)) ? null : filter;
  }

  /** Records a broken rule, if there is one, as the reader's error. */
  private boolean broken(MqttDecodeError rule) {
    if (rule != null && error == null) {
      error = rule;
    }
    return rule != null;
  }

  private boolean need(int count, String what) {
    if (end - pos >= count) {
      return true;
    }
    fail(layoutSection, "truncated: expected " + what + ", " + (end - pos) + " bytes left");
    return false;
  }

  private <T> T fail(String section, String reason) {
    broken(new MqttDecodeError(section, reason));
    return null;
  }
}

package dev.clearway.streams.mqtt;

import org.apache.pekko.util.ByteString;

/**
 * The MQTT 3.1.1 rules shared by the decoder (which turns a broken rule into an
 * {@link MqttDecodeError} value) and the packet constructors (which throw), so that both sides check
 * exactly the same thing. Each check returns {@code null} when the rule holds.
 */
final class MqttRules {

  // Control packet types (2.2.1); 0 and 15 are reserved.
  static final int CONNECT = 1;
  static final int CONNACK = 2;
  static final int PUBLISH = 3;
  static final int PUBACK = 4;
  static final int PUBREC = 5;
  static final int PUBREL = 6;
  static final int PUBCOMP = 7;
  static final int SUBSCRIBE = 8;
  static final int SUBACK = 9;
  static final int UNSUBSCRIBE = 10;
  static final int UNSUBACK = 11;
  static final int PINGREQ = 12;
  static final int PINGRESP = 13;
  static final int DISCONNECT = 14;

  /** The largest remaining length four bytes can carry (2.2.3). */
  static final int MAX_REMAINING_LENGTH = 268_435_455;

  /** The largest length a two-byte length prefix can carry (1.5.3). */
  static final int MAX_FIELD_LENGTH = 65_535;

  private static final String[] NAMES = {
    "reserved(0)", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
    "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "reserved(15)"
  };

  private MqttRules() {}

  /** The name of a control packet type, for messages. */
  static String name(int type) {
    return NAMES[type & 0x0F];
  }

  /**
   * The fixed-header flags a packet type must carry (2.2.2): PUBREL, SUBSCRIBE and UNSUBSCRIBE have
   * 0b0010, PUBLISH has its own (-1 here), all others 0.
   */
  static int requiredFlags(int type) {
    return switch (type) {
      case PUBLISH -> -1;
      case PUBREL, SUBSCRIBE, UNSUBSCRIBE -> 0b0010;
      default -> 0;
    };
  }

  /** The normative statement that names a type's required flags; 2.2.2-2 where none is specific. */
  static String flagsSection(int type) {
    return switch (type) {
      case PUBREL -> "3.6.1-1";
      case SUBSCRIBE -> "3.8.1-1";
      case UNSUBSCRIBE -> "3.10.1-1";
      default -> "2.2.2-2";
    };
  }

  /** The section describing a type's layout (CONNECT is 3.1, ..., DISCONNECT 3.14). */
  static String layoutSection(int type) {
    return "3." + type;
  }

  /** Throws for a broken rule; the packet constructors' side. */
  static void require(MqttDecodeError broken) {
    if (broken != null) {
      throw new IllegalArgumentException(broken.reason() + " (MQTT 3.1.1 " + broken.section() + ")");
    }
  }

  static MqttDecodeError twoByteInteger(int value, String what, String section) {
    return value < 0 || value > MAX_FIELD_LENGTH
        ? new MqttDecodeError(section, what + " " + value + " is outside 0..65535") : null;
  }

  static MqttDecodeError packetId(int id) {
    // A packet identifier is a non-zero 16-bit integer (2.3.1-1).
    return id < 1 || id > MAX_FIELD_LENGTH
        ? new MqttDecodeError("2.3.1-1", "packet identifier " + id + " is outside 1..65535") : null;
  }

  static MqttDecodeError noPacketId(int id) {
    // A QoS 0 PUBLISH carries no packet identifier (2.3.1-5).
    return id != 0 ? new MqttDecodeError("2.3.1-5", "a QoS 0 PUBLISH has no packet identifier, got " + id) : null;
  }

  static MqttDecodeError qos(int qos, String section) {
    return qos < 0 || qos > 2 ? new MqttDecodeError(section, "QoS " + qos + " is not 0, 1 or 2") : null;
  }

  static MqttDecodeError dupWithQos0(boolean dup, int qos) {
    return dup && qos == 0 ? new MqttDecodeError("3.3.1-2", "DUP is set on a QoS 0 PUBLISH") : null;
  }

  static MqttDecodeError passwordNeedsUsername(boolean password, boolean username) {
    return password && !username
        ? new MqttDecodeError("3.1.2-22", "password flag set without the user name flag") : null;
  }

  static MqttDecodeError atLeastOne(int count, String packet, String section) {
    return count < 1 ? new MqttDecodeError(section, packet + " without a single entry") : null;
  }

  static MqttDecodeError subAckCode(int code) {
    // 0x00..0x02 grant a QoS, 0x80 is failure; every other value is reserved (3.9.3-2).
    return code == MqttPacket.SubAck.FAILURE || (code >= 0 && code <= 2)
        ? null : new MqttDecodeError("3.9.3-2", "SUBACK return code " + code + " is reserved");
  }

  static MqttDecodeError connAck(boolean sessionPresent, int returnCode) {
    if (returnCode < 0 || returnCode > 5) {
      return new MqttDecodeError("3.2.2.3", "CONNACK return code " + returnCode + " is reserved");
    }
    // A refused connection never has a session (3.2.2-4).
    return sessionPresent && returnCode != 0
        ? new MqttDecodeError("3.2.2-4", "session present with return code " + returnCode) : null;
  }

  static MqttDecodeError binaryData(ByteString data) {
    return data.length() > MAX_FIELD_LENGTH
        ? new MqttDecodeError("1.5.3", "binary field of " + data.length() + " bytes exceeds 65535") : null;
  }

  /**
   * A Java string that can travel as an MQTT UTF-8 string: no U+0000 (1.5.3-2), no unpaired
   * surrogate (which has no UTF-8 encoding, 1.5.3-1), at most 65535 encoded bytes (1.5.3).
   */
  static MqttDecodeError utf8String(String s) {
    int encoded = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        return new MqttDecodeError("1.5.3-2", "string contains U+0000");
      }
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        encoded += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        return new MqttDecodeError("1.5.3-1", "string contains an unpaired surrogate");
      } else {
        encoded += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      }
    }
    return encoded > MAX_FIELD_LENGTH
        ? new MqttDecodeError("1.5.3", "string of " + encoded + " UTF-8 bytes exceeds 65535") : null;
  }

  /** A topic name as PUBLISH and the will carry it: non-empty, no wildcards. */
  static MqttDecodeError topicName(String topic) {
    MqttDecodeError bad = utf8String(topic);
    if (bad != null) {
      return bad;
    }
    if (topic.isEmpty()) {
      return new MqttDecodeError("4.7.3-1", "empty topic name");
    }
    // Wildcards belong to topic filters only (3.3.2-2, 4.7.1-1).
    int wildcard = indexOfWildcard(topic);
    return wildcard >= 0
        ? new MqttDecodeError("3.3.2-2", "wildcard '" + topic.charAt(wildcard) + "' in topic name") : null;
  }

  /**
   * A topic filter: non-empty (4.7.3-1); '#' alone or after '/', and last (4.7.1-2); '+' fills a
   * whole level (4.7.1-3).
   */
  static MqttDecodeError topicFilter(String filter) {
    MqttDecodeError bad = utf8String(filter);
    if (bad != null) {
      return bad;
    }
    if (filter.isEmpty()) {
      return new MqttDecodeError("4.7.3-1", "empty topic filter");
    }
    for (int i = 0; i < filter.length(); i++) {
      char c = filter.charAt(i);
      boolean levelStart = i == 0 || filter.charAt(i - 1) == '/';
      if (c == '#' && (!levelStart || i != filter.length() - 1)) {
        return new MqttDecodeError("4.7.1-2", "'#' must be the last level of the filter: " + filter);
      }
      if (c == '+' && (!levelStart || (i + 1 < filter.length() && filter.charAt(i + 1) != '/'))) {
        return new MqttDecodeError("4.7.1-3", "'+' must occupy a whole level: " + filter);
      }
    }
    return null;
  }

  private static int indexOfWildcard(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '#' || c == '+') {
        return i;
      }
    }
    return -1;
  }
}

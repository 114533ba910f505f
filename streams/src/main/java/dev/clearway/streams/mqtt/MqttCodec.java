package dev.clearway.streams.mqtt;

import static dev.clearway.streams.mqtt.MqttRules.CONNACK;
import static dev.clearway.streams.mqtt.MqttRules.CONNECT;
import static dev.clearway.streams.mqtt.MqttRules.DISCONNECT;
import static dev.clearway.streams.mqtt.MqttRules.PINGREQ;
import static dev.clearway.streams.mqtt.MqttRules.PINGRESP;
import static dev.clearway.streams.mqtt.MqttRules.PUBACK;
import static dev.clearway.streams.mqtt.MqttRules.PUBCOMP;
import static dev.clearway.streams.mqtt.MqttRules.PUBLISH;
import static dev.clearway.streams.mqtt.MqttRules.PUBREC;
import static dev.clearway.streams.mqtt.MqttRules.PUBREL;
import static dev.clearway.streams.mqtt.MqttRules.SUBACK;
import static dev.clearway.streams.mqtt.MqttRules.SUBSCRIBE;
import static dev.clearway.streams.mqtt.MqttRules.UNSUBACK;
import static dev.clearway.streams.mqtt.MqttRules.UNSUBSCRIBE;

import dev.clearway.streams.mqtt.MqttPacket.ConnAck;
import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.Disconnect;
import dev.clearway.streams.mqtt.MqttPacket.PingReq;
import dev.clearway.streams.mqtt.MqttPacket.PingResp;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.PubComp;
import dev.clearway.streams.mqtt.MqttPacket.PubRec;
import dev.clearway.streams.mqtt.MqttPacket.PubRel;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import dev.clearway.streams.mqtt.MqttPacket.SubAck;
import dev.clearway.streams.mqtt.MqttPacket.Subscribe;
import dev.clearway.streams.mqtt.MqttPacket.Subscription;
import dev.clearway.streams.mqtt.MqttPacket.UnsubAck;
import dev.clearway.streams.mqtt.MqttPacket.Unsubscribe;
import dev.clearway.streams.mqtt.MqttPacket.Will;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;
import org.apache.pekko.util.ByteString;

/**
 * MQTT 3.1.1 encoding and decoding as pure functions. {@link #decode} takes the bytes of exactly one
 * packet (as {@link MqttFraming} cuts them) and returns a packet or an {@link MqttDecodeError}; it
 * never throws, whatever the bytes. {@link #encode} writes what {@link #decode} accepts, so
 * {@code decode(encode(p)).equals(p)} for every packet.
 *
 * <p>The checks are those a server must make on a client's packets; each cites its rule. The packet
 * types a server sends (CONNACK, SUBACK, ...) decode too, with the same strictness.
 */
public final class MqttCodec {

  /** The protocol name of 3.1.1 (3.1.2.1). */
  static final String PROTOCOL_NAME = "MQTT";

  /** The protocol level of 3.1.1 (3.1.2.2). */
  static final int PROTOCOL_LEVEL = 4;

  private static final ByteString PINGREQ_BYTES = ByteString.fromArray(new byte[] {(byte) (PINGREQ << 4), 0});
  private static final ByteString PINGRESP_BYTES = ByteString.fromArray(new byte[] {(byte) (PINGRESP << 4), 0});
  private static final ByteString DISCONNECT_BYTES = ByteString.fromArray(new byte[] {(byte) (DISCONNECT << 4), 0});

  private MqttCodec() {}

  /** {@link #fixedHeader}: the remaining length is not complete yet. */
  static final long HEADER_INCOMPLETE = -1;

  /** {@link #fixedHeader}: the remaining length runs past four bytes. */
  static final long HEADER_MALFORMED = -2;

  // ---------------------------------------------------------------------------------------------
  // Decoding

  /**
   * Reads the remaining length that follows the type byte: up to four bytes of seven bits each,
   * least significant first, the top bit saying another byte follows (2.2.3). Returns
   * {@code remaining << 8 | headerLength}, {@link #HEADER_INCOMPLETE} or {@link #HEADER_MALFORMED}.
   * Non-minimal encodings (0x80 0x00 for 0) are accepted: 3.1.1, unlike 5.0, does not forbid them.
   */
  static long fixedHeader(ByteString bytes) {
    long remaining = 0;
    int index = 1;
    while (true) {
      if (index >= bytes.length()) {
        return HEADER_INCOMPLETE;
      }
      int digit = bytes.apply(index) & 0xFF;
      remaining |= (long) (digit & 0x7F) << (7 * (index - 1));
      index++;
      if ((digit & 0x80) == 0) {
        return remaining << 8 | index;
      }
      // A continuation bit on the fourth byte would make a fifth.
      if (index == 5) {
        return HEADER_MALFORMED;
      }
    }
  }

  /** Decodes the bytes of exactly one packet. Never throws. */
  public static MqttDecoded decode(ByteString frame) {
    if (frame.isEmpty()) {
      return new MqttDecodeError("2.2", "empty frame: no fixed header");
    }
    int first = frame.apply(0) & 0xFF;
    int type = first >>> 4;
    int flags = first & 0x0F;
    long header = fixedHeader(frame);
    if (header == HEADER_INCOMPLETE) {
      return new MqttDecodeError("2.2.3", "truncated remaining length");
    } else if (header == HEADER_MALFORMED) {
      return new MqttDecodeError("2.2.3", "remaining length longer than four bytes");
    }
    int remaining = (int) (header >>> 8);
    int headerLength = (int) (header & 0xFF);
    int available = frame.length() - headerLength;
    if (available < remaining) {
      return new MqttDecodeError("2.2.3", "truncated: remaining length " + remaining + ", " + available + " bytes present");
    }
    if (available > remaining) {
      return new MqttDecodeError("2.2.3", (available - remaining) + " trailing bytes after the packet");
    }
    if (type == 0 || type == 15) {
      return new MqttDecodeError("2.2.1", "reserved control packet type " + type);
    }
    int required = MqttRules.requiredFlags(type);
    if (required >= 0 && flags != required) {
      return new MqttDecodeError(MqttRules.flagsSection(type),
          "fixed header flags of " + MqttRules.name(type) + " are 0x" + Integer.toHexString(flags)
              + ", must be 0x" + Integer.toHexString(required));
    }
    MqttReader r = new MqttReader(frame, headerLength, frame.length(), MqttRules.layoutSection(type));
    MqttDecoded decoded = switch (type) {
      case CONNECT -> connect(r);
      case CONNACK -> connAck(r);
      case PUBLISH -> publish(r, flags);
      case PUBACK -> packetIdOnly(r, PubAck::new);
      case PUBREC -> packetIdOnly(r, PubRec::new);
      case PUBREL -> packetIdOnly(r, PubRel::new);
      case PUBCOMP -> packetIdOnly(r, PubComp::new);
      case SUBSCRIBE -> subscribe(r);
      case SUBACK -> subAck(r);
      case UNSUBSCRIBE -> unsubscribe(r);
      case UNSUBACK -> packetIdOnly(r, UnsubAck::new);
      case PINGREQ -> new PingReq();
      case PINGRESP -> new PingResp();
      default -> new Disconnect();
    };
    if (decoded instanceof MqttPacket && r.remaining() > 0) {
      // Every field is accounted for; anything more contradicts the layout (and the length, 2.2.3).
      return new MqttDecodeError(MqttRules.layoutSection(type),
          r.remaining() + " trailing bytes in " + MqttRules.name(type));
    }
    return decoded;
  }

  private static MqttDecoded connect(MqttReader r) {
    String protocolName = r.utf8();
    if (protocolName == null) {
      return r.error();
    }
    if (!PROTOCOL_NAME.equals(protocolName)) {
      return new MqttDecodeError("3.1.2-1", "protocol name '" + protocolName + "' is not 'MQTT'");
    }
    int level = r.u8();
    if (level < 0) {
      return r.error();
    }
    if (level != PROTOCOL_LEVEL) {
      return new MqttDecodeError(MqttDecodeError.UNACCEPTABLE_PROTOCOL_LEVEL,
          "protocol level " + level + " is not 4 (MQTT 3.1.1)");
    }
    int flags = r.u8();
    int keepAlive = r.u16();
    if (keepAlive < 0) {
      return r.error();
    }
    if ((flags & 0x01) != 0) {
      return new MqttDecodeError("3.1.2-3", "reserved CONNECT flag is set");
    }
    boolean cleanSession = (flags & 0x02) != 0;
    boolean willFlag = (flags & 0x04) != 0;
    int willQos = (flags >>> 3) & 0x03;
    boolean willRetain = (flags & 0x20) != 0;
    boolean passwordFlag = (flags & 0x40) != 0;
    boolean usernameFlag = (flags & 0x80) != 0;
    // Without a will, its QoS and retain bits must be 0 (3.1.2-13, 3.1.2-15); with one, QoS 3 is
    // invalid (3.1.2-14).
    if (!willFlag && willQos != 0) {
      return new MqttDecodeError("3.1.2-13", "will QoS " + willQos + " without the will flag");
    }
    if (!willFlag && willRetain) {
      return new MqttDecodeError("3.1.2-15", "will retain without the will flag");
    }
    MqttDecodeError bad = willFlag ? MqttRules.qos(willQos, "3.1.2-14") : null;
    bad = bad != null ? bad : MqttRules.passwordNeedsUsername(passwordFlag, usernameFlag);
    if (bad != null) {
      return bad;
    }
    // The payload's fields come in this order, each present exactly when its flag says (3.1.3).
    String clientId = r.utf8();
    if (clientId == null) {
      return r.error();
    }
    Optional<Will> will = Optional.empty();
    if (willFlag) {
      // The will topic is a topic name like a PUBLISH's: no wildcards (3.1.3.2, 3.3.2-2).
      String willTopic = r.topicName();
      ByteString willMessage = willTopic == null ? null : r.binary();
      if (willMessage == null) {
        return r.error();
      }
      will = Optional.of(new Will(willTopic, willMessage, willQos, willRetain));
    }
    Optional<String> username = Optional.empty();
    if (usernameFlag) {
      String name = r.utf8();
      if (name == null) {
        return r.error();
      }
      username = Optional.of(name);
    }
    Optional<ByteString> password = Optional.empty();
    if (passwordFlag) {
      ByteString secret = r.binary();
      if (secret == null) {
        return r.error();
      }
      password = Optional.of(secret);
    }
    return new Connect(cleanSession, keepAlive, clientId, will, username, password);
  }

  private static MqttDecoded connAck(MqttReader r) {
    int acknowledgeFlags = r.u8();
    int returnCode = r.u8();
    if (returnCode < 0) {
      return r.error();
    }
    // Bits 7..1 of the acknowledge flags are reserved and 0 (3.2.2.1).
    if ((acknowledgeFlags & 0xFE) != 0) {
      return new MqttDecodeError("3.2.2.1", "reserved CONNACK acknowledge flags are set");
    }
    boolean sessionPresent = acknowledgeFlags == 1;
    MqttDecodeError bad = MqttRules.connAck(sessionPresent, returnCode);
    return bad != null ? bad : new ConnAck(sessionPresent, returnCode);
  }

  private static MqttDecoded publish(MqttReader r, int flags) {
    boolean dup = (flags & 0x08) != 0;
    int qos = (flags >>> 1) & 0x03;
    boolean retain = (flags & 0x01) != 0;
    MqttDecodeError bad = MqttRules.qos(qos, "3.3.1-4");
    bad = bad != null ? bad : MqttRules.dupWithQos0(dup, qos);
    if (bad != null) {
      return bad;
    }
    String topic = r.topicName();
    // The packet identifier is there only with QoS 1 and 2 (3.3.2.2).
    int packetId = topic == null ? -1 : qos > 0 ? r.packetId() : 0;
    if (packetId < 0) {
      return r.error();
    }
    return new Publish(dup, qos, retain, topic, packetId, r.rest());
  }

  private static MqttDecoded packetIdOnly(MqttReader r, IntFunction<MqttPacket> packet) {
    int packetId = r.packetId();
    return packetId < 0 ? r.error() : packet.apply(packetId);
  }

  private static MqttDecoded subscribe(MqttReader r) {
    int packetId = r.packetId();
    List<Subscription> subscriptions = new ArrayList<>();
    while (packetId > 0 && r.remaining() > 0) {
      String filter = r.topicFilter();
      int options = filter == null ? -1 : r.u8();
      if (options < 0) {
        return r.error();
      }
      // The six upper bits are reserved, and QoS 3 is malformed too (3.8.3-4).
      if ((options & 0xFC) != 0 || (options & 0x03) == 3) {
        return new MqttDecodeError("3.8.3-4", "requested QoS byte 0x" + Integer.toHexString(options) + " is invalid");
      }
      subscriptions.add(new Subscription(filter, options));
    }
    MqttDecodeError bad = packetId < 0 ? r.error() : MqttRules.atLeastOne(subscriptions.size(), "SUBSCRIBE", "3.8.3-3");
    return bad != null ? bad : new Subscribe(packetId, subscriptions);
  }

  private static MqttDecoded subAck(MqttReader r) {
    int packetId = r.packetId();
    List<Integer> codes = new ArrayList<>();
    while (packetId > 0 && r.remaining() > 0) {
      int code = r.u8();
      MqttDecodeError bad = MqttRules.subAckCode(code);
      if (bad != null) {
        return bad;
      }
      codes.add(code);
    }
    MqttDecodeError bad = packetId < 0 ? r.error() : MqttRules.atLeastOne(codes.size(), "SUBACK", "3.9.3");
    return bad != null ? bad : new SubAck(packetId, codes);
  }

  private static MqttDecoded unsubscribe(MqttReader r) {
    int packetId = r.packetId();
    List<String> filters = new ArrayList<>();
    while (packetId > 0 && r.remaining() > 0) {
      String filter = r.topicFilter();
      if (filter == null) {
        return r.error();
      }
      filters.add(filter);
    }
    MqttDecodeError bad = packetId < 0 ? r.error() : MqttRules.atLeastOne(filters.size(), "UNSUBSCRIBE", "3.10.3-2");
    return bad != null ? bad : new Unsubscribe(packetId, filters);
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  /**
   * Encodes a packet, fixed header included.
   *
   * @throws IllegalArgumentException if the packet is longer than the 268,435,455 bytes a remaining
   *     length can announce (2.2.3); every other rule already holds by construction
   */
  public static ByteString encode(MqttPacket packet) {
    // The three constant packets need no work at all.
    if (packet instanceof PingReq) {
      return PINGREQ_BYTES;
    } else if (packet instanceof PingResp) {
      return PINGRESP_BYTES;
    } else if (packet instanceof Disconnect) {
      return DISCONNECT_BYTES;
    }
    // Size the buffer once for the common case, a PUBLISH carrying a payload.
    MqttWriter w = new MqttWriter(packet instanceof Publish p ? p.payload().length() + 3 * p.topic().length() + 16 : 64);
    int flags = MqttRules.requiredFlags(packet.type());
    if (packet instanceof Connect c) {
      writeConnect(w, c);
    } else if (packet instanceof ConnAck a) {
      w.u8(a.sessionPresent() ? 1 : 0).u8(a.returnCode());
    } else if (packet instanceof Publish p) {
      flags = (p.dup() ? 0x08 : 0) | (p.qos() << 1) | (p.retain() ? 0x01 : 0);
      w.utf8(p.topic());
      if (p.qos() > 0) {
        w.u16(p.packetId());
      }
      w.raw(p.payload());
    } else if (packet instanceof PubAck a) {
      w.u16(a.packetId());
    } else if (packet instanceof PubRec a) {
      w.u16(a.packetId());
    } else if (packet instanceof PubRel a) {
      w.u16(a.packetId());
    } else if (packet instanceof PubComp a) {
      w.u16(a.packetId());
    } else if (packet instanceof Subscribe s) {
      w.u16(s.packetId());
      for (Subscription sub : s.subscriptions()) {
        w.utf8(sub.topicFilter()).u8(sub.qos());
      }
    } else if (packet instanceof SubAck s) {
      w.u16(s.packetId());
      s.returnCodes().forEach(w::u8);
    } else if (packet instanceof Unsubscribe u) {
      w.u16(u.packetId());
      u.topicFilters().forEach(w::utf8);
    } else if (packet instanceof UnsubAck a) {
      w.u16(a.packetId());
    }
    return w.toPacket((packet.type() << 4) | flags);
  }

  private static void writeConnect(MqttWriter w, Connect c) {
    int flags = (c.cleanSession() ? 0x02 : 0)
        | c.will().map(will -> 0x04 | (will.qos() << 3) | (will.retain() ? 0x20 : 0)).orElse(0)
        | (c.password().isPresent() ? 0x40 : 0)
        | (c.username().isPresent() ? 0x80 : 0);
    w.utf8(PROTOCOL_NAME).u8(PROTOCOL_LEVEL).u8(flags).u16(c.keepAliveSeconds()).utf8(c.clientId());
    c.will().ifPresent(will -> w.utf8(will.topic()).binary(will.message()));
    c.username().ifPresent(w::utf8);
    c.password().ifPresent(w::binary);
  }
}

package dev.clearway.streams.mqtt;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.pekko.util.ByteString;

/**
 * The fourteen MQTT 3.1.1 control packets (spec chapter 3) as immutable values with equality by
 * value. Binary fields are {@link ByteString}s, which are immutable and compare by content.
 *
 * <p>Every constructor enforces the same rules as {@link MqttCodec#decode}, so a packet that exists
 * can always be encoded and decodes to itself. Building an invalid packet is a programming error and
 * throws {@link IllegalArgumentException}; bytes from the network never reach a constructor
 * unchecked (the decoder returns an {@link MqttDecodeError} value instead).
 */
public sealed interface MqttPacket extends MqttDecoded {

  /** The control packet type of the fixed header, 1..14 (2.2.1). */
  int type();

  /**
   * CONNECT (3.1): the first packet of a connection. The protocol name "MQTT" and level 4 are
   * implied; the flags of 3.1.2.2..3.1.2.9 follow from which optional fields are present.
   *
   * @param cleanSession the Clean Session flag (3.1.2.4)
   * @param keepAliveSeconds the Keep Alive interval, 0..65535 seconds; 0 turns it off (3.1.2.10)
   * @param clientId the Client Identifier; may be empty (3.1.3-6), but an empty one with
   *     {@code cleanSession} false is answered with CONNACK 2 by the connection, not the codec (3.1.3-8)
   * @param will the Will Message, if the Will Flag is set (3.1.2.5)
   * @param username the User Name, if the User Name Flag is set (3.1.2.8)
   * @param password the Password, if the Password Flag is set; needs a user name (3.1.2-22)
   */
  record Connect(
      boolean cleanSession,
      int keepAliveSeconds,
      String clientId,
      Optional<Will> will,
      Optional<String> username,
      Optional<ByteString> password)
      implements MqttPacket {
    public Connect {
      MqttRules.require(MqttRules.twoByteInteger(keepAliveSeconds, "keep alive", "3.1.2.10"));
      MqttRules.require(MqttRules.utf8String(clientId));
      username.ifPresent(u -> MqttRules.require(MqttRules.utf8String(u)));
      password.ifPresent(p -> MqttRules.require(MqttRules.binaryData(p)));
      MqttRules.require(MqttRules.passwordNeedsUsername(password.isPresent(), username.isPresent()));
    }

    @Override
    public int type() {
      return MqttRules.CONNECT;
    }
  }

  /**
   * The Will Message of a CONNECT (3.1.2.5..3.1.2.7, 3.1.3.2..3.1.3.3).
   *
   * @param topic a topic name: non-empty, no wildcards (4.7)
   * @param message the will payload, up to 65535 bytes
   * @param qos 0, 1 or 2 (3.1.2-14)
   * @param retain the Will Retain flag
   */
  record Will(String topic, ByteString message, int qos, boolean retain) {
    public Will {
      MqttRules.require(MqttRules.topicName(topic));
      MqttRules.require(MqttRules.binaryData(message));
      MqttRules.require(MqttRules.qos(qos, "3.1.2-14"));
    }
  }

  /**
   * CONNACK (3.2).
   *
   * @param sessionPresent the Session Present flag; only with return code 0 (3.2.2-4)
   * @param returnCode 0 accepted, 1 bad protocol level, 2 identifier rejected, 3 server unavailable,
   *     4 bad user name or password, 5 not authorized (3.2.2.3)
   */
  record ConnAck(boolean sessionPresent, int returnCode) implements MqttPacket {
    /** Connection accepted. */
    public static final int ACCEPTED = 0;
    /** The server does not support the protocol level the client asked for (3.1.2-2). */
    public static final int UNACCEPTABLE_PROTOCOL_VERSION = 1;
    /** The client identifier is well-formed UTF-8 but not allowed. */
    public static final int IDENTIFIER_REJECTED = 2;
    /** The network connection works but the MQTT service does not. */
    public static final int SERVER_UNAVAILABLE = 3;
    /** The user name or password is malformed. */
    public static final int BAD_USERNAME_OR_PASSWORD = 4;
    /** The client is not authorized to connect. */
    public static final int NOT_AUTHORIZED = 5;

    public ConnAck {
      MqttRules.require(MqttRules.connAck(sessionPresent, returnCode));
    }

    @Override
    public int type() {
      return MqttRules.CONNACK;
    }
  }

  /**
   * PUBLISH (3.3).
   *
   * @param dup the DUP flag; always false with QoS 0 (3.3.1-2)
   * @param qos 0, 1 or 2 (3.3.1-4)
   * @param retain the RETAIN flag
   * @param topic the topic name: non-empty, no wildcards (3.3.2-1, 3.3.2-2, 4.7.3-1)
   * @param packetId 1..65535 with QoS 1 and 2; 0 (absent) with QoS 0 (2.3.1-1, 2.3.1-5)
   * @param payload the application message, possibly empty (3.3.3)
   */
  record Publish(boolean dup, int qos, boolean retain, String topic, int packetId, ByteString payload)
      implements MqttPacket {
    public Publish {
      MqttRules.require(MqttRules.qos(qos, "3.3.1-4"));
      MqttRules.require(MqttRules.dupWithQos0(dup, qos));
      MqttRules.require(MqttRules.topicName(topic));
      MqttRules.require(qos == 0 ? MqttRules.noPacketId(packetId) : MqttRules.packetId(packetId));
      Objects.requireNonNull(payload, "payload");
    }

    @Override
    public int type() {
      return MqttRules.PUBLISH;
    }
  }

  /** PUBACK (3.4): the answer to a QoS 1 PUBLISH. @param packetId 1..65535 */
  record PubAck(int packetId) implements MqttPacket {
    public PubAck {
      MqttRules.require(MqttRules.packetId(packetId));
    }

    @Override
    public int type() {
      return MqttRules.PUBACK;
    }
  }

  /** PUBREC (3.5): QoS 2 delivery, part 1. @param packetId 1..65535 */
  record PubRec(int packetId) implements MqttPacket {
    public PubRec {
      MqttRules.require(MqttRules.packetId(packetId));
    }

    @Override
    public int type() {
      return MqttRules.PUBREC;
    }
  }

  /** PUBREL (3.6): QoS 2 delivery, part 2. @param packetId 1..65535 */
  record PubRel(int packetId) implements MqttPacket {
    public PubRel {
      MqttRules.require(MqttRules.packetId(packetId));
    }

    @Override
    public int type() {
      return MqttRules.PUBREL;
    }
  }

  /** PUBCOMP (3.7): QoS 2 delivery, part 3. @param packetId 1..65535 */
  record PubComp(int packetId) implements MqttPacket {
    public PubComp {
      MqttRules.require(MqttRules.packetId(packetId));
    }

    @Override
    public int type() {
      return MqttRules.PUBCOMP;
    }
  }

  /**
   * SUBSCRIBE (3.8).
   *
   * @param packetId 1..65535
   * @param subscriptions at least one (3.8.3-3)
   */
  record Subscribe(int packetId, List<Subscription> subscriptions) implements MqttPacket {
    public Subscribe {
      MqttRules.require(MqttRules.packetId(packetId));
      subscriptions = List.copyOf(subscriptions);
      MqttRules.require(MqttRules.atLeastOne(subscriptions.size(), "SUBSCRIBE", "3.8.3-3"));
    }

    @Override
    public int type() {
      return MqttRules.SUBSCRIBE;
    }
  }

  /**
   * One topic filter of a SUBSCRIBE with its requested QoS (3.8.3).
   *
   * @param topicFilter a valid topic filter (4.7.1, 4.7.3-1)
   * @param qos the requested QoS, 0..2 (3.8.3-4)
   */
  record Subscription(String topicFilter, int qos) {
    public Subscription {
      MqttRules.require(MqttRules.topicFilter(topicFilter));
      MqttRules.require(MqttRules.qos(qos, "3.8.3-4"));
    }
  }

  /**
   * SUBACK (3.9).
   *
   * @param packetId 1..65535
   * @param returnCodes one per filter of the SUBSCRIBE: granted QoS 0..2 or {@link #FAILURE} (3.9.3-2)
   */
  record SubAck(int packetId, List<Integer> returnCodes) implements MqttPacket {
    /** The return code of a refused subscription (3.9.3). */
    public static final int FAILURE = 0x80;

    public SubAck {
      MqttRules.require(MqttRules.packetId(packetId));
      returnCodes = List.copyOf(returnCodes);
      MqttRules.require(MqttRules.atLeastOne(returnCodes.size(), "SUBACK", "3.9.3"));
      for (int code : returnCodes) {
        MqttRules.require(MqttRules.subAckCode(code));
      }
    }

    @Override
    public int type() {
      return MqttRules.SUBACK;
    }
  }

  /**
   * UNSUBSCRIBE (3.10).
   *
   * @param packetId 1..65535
   * @param topicFilters at least one valid topic filter (3.10.3-2)
   */
  record Unsubscribe(int packetId, List<String> topicFilters) implements MqttPacket {
    public Unsubscribe {
      MqttRules.require(MqttRules.packetId(packetId));
      topicFilters = List.copyOf(topicFilters);
      MqttRules.require(MqttRules.atLeastOne(topicFilters.size(), "UNSUBSCRIBE", "3.10.3-2"));
      for (String filter : topicFilters) {
        MqttRules.require(MqttRules.topicFilter(filter));
      }
    }

    @Override
    public int type() {
      return MqttRules.UNSUBSCRIBE;
    }
  }

  /** UNSUBACK (3.11). @param packetId 1..65535 */
  record UnsubAck(int packetId) implements MqttPacket {
    public UnsubAck {
      MqttRules.require(MqttRules.packetId(packetId));
    }

    @Override
    public int type() {
      return MqttRules.UNSUBACK;
    }
  }

  /** PINGREQ (3.12). */
  record PingReq() implements MqttPacket {
    @Override
    public int type() {
      return MqttRules.PINGREQ;
    }
  }

  /** PINGRESP (3.13). */
  record PingResp() implements MqttPacket {
    @Override
    public int type() {
      return MqttRules.PINGRESP;
    }
  }

  /** DISCONNECT (3.14): the client's clean goodbye; the server discards the will (3.14.4-3). */
  record Disconnect() implements MqttPacket {
    @Override
    public int type() {
      return MqttRules.DISCONNECT;
    }
  }
}

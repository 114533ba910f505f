package dev.clearway.streams.mqtt;

import static dev.clearway.streams.mqtt.Bytes.hex;
import static dev.clearway.streams.mqtt.Bytes.packet;
import static dev.clearway.streams.mqtt.Bytes.raw;
import static dev.clearway.streams.mqtt.Bytes.str;
import static dev.clearway.streams.mqtt.Bytes.u16;
import static dev.clearway.streams.mqtt.Bytes.u8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.PingReq;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each MUST a server checks on a client's packet, broken once, with the error value it yields. */
class MqttCodecMalformedTest {

  /** A valid CONNECT variable header up to the flags: "MQTT", level 4. */
  private static final ByteString MQTT_4 = str("MQTT").concat(u8(4));

  private static MqttDecodeError decodeError(ByteString bytes) {
    MqttDecoded decoded = MqttCodec.decode(bytes);
    assertThat(decoded).isInstanceOf(MqttDecodeError.class);
    return (MqttDecodeError) decoded;
  }

  private static void assertError(ByteString bytes, String section, String reasonFragment) {
    MqttDecodeError error = decodeError(bytes);
    assertThat(error.section()).as(error.reason()).isEqualTo(section);
    assertThat(error.reason()).contains(reasonFragment);
  }

  private static ByteString connect(int flags, ByteString payload) {
    return packet(0x10, MQTT_4, u8(flags), u16(60), payload);
  }

  @Test
  void remainingLengthWithAFifthByteIsMalformed() {
    assertError(hex("30 ff ff ff ff 01"), "2.2.3", "longer than four bytes");
  }

  @Test
  void truncatedRemainingLengthIsMalformed() {
    assertError(hex("30 ff"), "2.2.3", "truncated remaining length");
  }

  @Test
  void emptyFrameIsMalformed() {
    assertError(ByteString.emptyByteString(), "2.2", "empty");
  }

  @Test
  void nonMinimalRemainingLengthIsAcceptedBecause311DoesNotForbidIt() {
    assertThat(MqttCodec.decode(hex("c0 80 00"))).isEqualTo(new PingReq());
  }

  @ParameterizedTest(name = "type {0} with flags {1}")
  @CsvSource({
    "1, 1, 2.2.2-2", "2, 8, 2.2.2-2", "4, 2, 2.2.2-2", "5, 1, 2.2.2-2", "6, 0, 3.6.1-1", "6, 3, 3.6.1-1",
    "7, 4, 2.2.2-2", "8, 0, 3.8.1-1", "8, 10, 3.8.1-1", "9, 1, 2.2.2-2", "10, 0, 3.10.1-1", "11, 2, 2.2.2-2",
    "12, 1, 2.2.2-2", "13, 15, 2.2.2-2", "14, 2, 2.2.2-2"
  })
  void wrongFixedHeaderFlagsAreRefusedForEveryTypeWithFixedFlags(int type, int flags, String section) {
    // The body is irrelevant: the flags are checked first.
    assertError(packet(type << 4 | flags, u16(1)), section, "fixed header flags");
  }

  @ParameterizedTest
  @CsvSource({"0", "15"})
  void reservedPacketTypesAreRefused(int type) {
    assertError(packet(type << 4), "2.2.1", "reserved control packet type");
  }

  @Test
  void overlongUtf8IsRefused() {
    // C0 AF is an overlong '/'.
    assertError(packet(0x30, raw(new byte[] {'a', (byte) 0xC0, (byte) 0xAF})), "1.5.3-1", "not well-formed UTF-8");
  }

  @Test
  void encodedSurrogateIsRefused() {
    // ED A0 80 would be U+D800, a surrogate.
    assertError(packet(0x30, raw(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})), "1.5.3-1", "not well-formed UTF-8");
  }

  @Test
  void nullCharacterIsRefused() {
    assertError(packet(0x30, raw(new byte[] {'a', 0, 'b'})), "1.5.3-2", "U+0000");
  }

  @Test
  void nullCharacterAfterNonAsciiIsRefused() {
    assertError(packet(0x30, raw(new byte[] {(byte) 0xC3, (byte) 0xBC, 0})), "1.5.3-2", "U+0000");
  }

  @Test
  void emptyPublishTopicIsRefused() {
    assertError(packet(0x30, str(""), u8('x')), "4.7.3-1", "empty topic name");
  }

  @Test
  void wildcardInPublishTopicIsRefused() {
    assertError(packet(0x30, str("devices/d1/#")), "3.3.2-2", "wildcard '#'");
    assertError(packet(0x30, str("devices/+/x")), "3.3.2-2", "wildcard '+'");
  }

  @Test
  void publishWithQos3IsRefused() {
    assertError(packet(0x36, str("t"), u16(1)), "3.3.1-4", "QoS 3");
  }

  @Test
  void dupOnQos0PublishIsRefused() {
    assertError(packet(0x38, str("t")), "3.3.1-2", "DUP");
  }

  @Test
  void packetIdZeroIsRefused() {
    assertError(packet(0x32, str("t"), u16(0)), "2.3.1-1", "packet identifier 0");
    assertError(packet(0x40, u16(0)), "2.3.1-1", "packet identifier 0");
    assertError(packet(0x82, u16(0), str("a"), u8(0)), "2.3.1-1", "packet identifier 0");
  }

  @Test
  void subscribeWithoutFiltersIsRefused() {
    assertError(packet(0x82, u16(1)), "3.8.3-3", "without a single entry");
  }

  @Test
  void subscribeWithReservedRequestedQosBitsIsRefused() {
    assertError(packet(0x82, u16(1), str("a"), u8(0x04)), "3.8.3-4", "0x4");
    assertError(packet(0x82, u16(1), str("a"), u8(0x03)), "3.8.3-4", "0x3");
  }

  @Test
  void invalidTopicFilterWildcardsAreRefused() {
    assertError(packet(0x82, u16(1), str("a/#/b"), u8(0)), "4.7.1-2", "'#'");
    assertError(packet(0x82, u16(1), str("a#"), u8(0)), "4.7.1-2", "'#'");
    assertError(packet(0x82, u16(1), str("a/b+"), u8(0)), "4.7.1-3", "'+'");
    assertError(packet(0xA2, u16(1), str("+a")), "4.7.1-3", "'+'");
    assertError(packet(0xA2, u16(1), str("")), "4.7.3-1", "empty topic filter");
  }

  @Test
  void unsubscribeWithoutFiltersIsRefused() {
    assertError(packet(0xA2, u16(1)), "3.10.3-2", "without a single entry");
  }

  @Test
  void trailingBytesAfterTheLastFieldAreRefused() {
    assertError(packet(0x40, u16(1), u8(0)), "3.4", "1 trailing bytes in PUBACK");
    assertError(packet(0xE0, u8(0)), "3.14", "trailing bytes in DISCONNECT");
    assertError(connect(0x02, str("c").concat(u8(9, 9))), "3.1", "2 trailing bytes in CONNECT");
  }

  @Test
  void bytesBeyondTheRemainingLengthAreRefused() {
    assertError(hex("c0 00 00"), "2.2.3", "1 trailing bytes after the packet");
  }

  @Test
  void truncatedPacketIsRefused() {
    // The remaining length promises 4 bytes; 2 are there.
    assertError(hex("40 04 00 01"), "2.2.3", "truncated: remaining length 4");
    // The remaining length is honest but too short for the fields: a PUBACK needs two bytes.
    assertError(packet(0x40, u8(1)), "3.4", "truncated");
    // A string announcing more bytes than the packet holds.
    assertError(packet(0x30, u16(10), u8('a')), "3.3", "truncated");
  }

  @Test
  void connectWithWrongProtocolNameIsRefused() {
    assertError(packet(0x10, str("MQIsdp"), u8(3), u8(2), u16(60), str("c")), "3.1.2-1", "'MQIsdp'");
  }

  @Test
  void connectWithWrongProtocolLevelIsADistinctError() {
    MqttDecodeError error = decodeError(packet(0x10, str("MQTT"), u8(5), u8(2), u16(60), str("c")));
    assertThat(error.section()).isEqualTo("3.1.2-2");
    assertThat(error.unacceptableProtocolLevel()).isTrue();
    assertThat(decodeError(packet(0x10, str("MQTT"))).unacceptableProtocolLevel()).isFalse();
  }

  @Test
  void connectWithReservedFlagIsRefused() {
    assertError(connect(0x03, str("c")), "3.1.2-3", "reserved CONNECT flag");
  }

  @Test
  void connectWithWillQosButNoWillIsRefused() {
    assertError(connect(0x08, str("c")), "3.1.2-13", "will QoS 1 without the will flag");
  }

  @Test
  void connectWithWillRetainButNoWillIsRefused() {
    assertError(connect(0x20, str("c")), "3.1.2-15", "will retain");
  }

  @Test
  void connectWithWillQos3IsRefused() {
    assertError(connect(0x1C, str("c").concat(str("w")).concat(str("m"))), "3.1.2-14", "QoS 3");
  }

  @Test
  void connectWithWildcardWillTopicIsRefused() {
    assertError(connect(0x04, str("c").concat(str("w/#")).concat(str("m"))), "3.3.2-2", "wildcard");
  }

  @Test
  void connectWithPasswordButNoUsernameIsRefused() {
    assertError(connect(0x42, str("c").concat(str("secret"))), "3.1.2-22", "password flag");
  }

  @Test
  void connectMissingAFieldItsFlagsAnnounceIsRefused() {
    // The user name flag is set, but the payload ends after the client id (3.1.2-19).
    assertError(connect(0x80, str("c")), "3.1", "truncated");
  }

  @Test
  void connectWithoutClientIdIsRefused() {
    assertError(connect(0x02, ByteString.emptyByteString()), "3.1", "truncated");
  }

  @Test
  void connAckWithReservedBitsOrCodesIsRefused() {
    assertError(packet(0x20, u8(2, 0)), "3.2.2.1", "reserved");
    assertError(packet(0x20, u8(0, 6)), "3.2.2.3", "return code 6");
    assertError(packet(0x20, u8(1, 5)), "3.2.2-4", "session present");
  }

  @Test
  void subAckWithReservedReturnCodeIsRefused() {
    assertError(packet(0x90, u16(1), u8(0x03)), "3.9.3-2", "reserved");
  }

  @Test
  void aValidConnectStillDecodes() {
    // Guards the helpers above: the same bytes with legal flags are a CONNECT.
    assertThat(MqttCodec.decode(connect(0x02, str("c")))).isInstanceOf(Connect.class);
    assertThat(MqttCodec.decode(packet(0x30, str("t")))).isInstanceOf(Publish.class);
  }
}

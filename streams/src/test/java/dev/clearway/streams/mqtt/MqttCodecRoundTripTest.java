package dev.clearway.streams.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MqttCodecRoundTripTest {

  private static final ByteString HELLO = ByteString.fromString("hello");

  static Stream<MqttPacket> everyPacketType() {
    return Stream.of(
        new Connect(true, 60, "d1", Optional.empty(), Optional.empty(), Optional.empty()),
        new Connect(false, 0, "", Optional.empty(), Optional.empty(), Optional.empty()),
        new Connect(false, 65535, "d1/m1",
            Optional.of(new Will("devices/d1/messages/events/", HELLO, 1, true)),
            Optional.of("hub.azure-devices.net/d1/?api-version=2021-04-12"),
            Optional.of(ByteString.fromString("SharedAccessSignature sr=x&sig=y&se=1"))),
        new Connect(true, 30, "d1", Optional.of(new Will("w", ByteString.emptyByteString(), 2, false)),
            Optional.of("u"), Optional.empty()),
        new ConnAck(true, 0),
        new ConnAck(false, 5),
        new Publish(false, 0, false, "devices/d1/messages/events/", 0, HELLO),
        new Publish(false, 0, true, "t", 0, ByteString.emptyByteString()),
        new Publish(true, 1, true, "devices/d1/messages/events/%24.ct=application%2Fjson", 65535, HELLO),
        new Publish(false, 2, false, "ünïcödé/トピック/😀", 1, HELLO),
        new PubAck(1),
        new PubRec(65535),
        new PubRel(7),
        new PubComp(300),
        new Subscribe(1, List.of(new Subscription("devices/d1/messages/devicebound/#", 1))),
        new Subscribe(65535, List.of(new Subscription("#", 0), new Subscription("+/a/+", 2),
            new Subscription("$iothub/twin/res/#", 1), new Subscription("/", 0))),
        new SubAck(2, List.of(0, 1, 2, SubAck.FAILURE)),
        new Unsubscribe(3, List.of("a/+", "ü/#")),
        new UnsubAck(65535),
        new PingReq(),
        new PingResp(),
        new Disconnect());
  }

  @ParameterizedTest
  @MethodSource("everyPacketType")
  void encodeThenDecodeGivesThePacketBack(MqttPacket packet) {
    assertThat(MqttCodec.decode(MqttCodec.encode(packet))).isEqualTo(packet);
  }

  @Test
  void everyPacketTypeIsCovered() {
    assertThat(everyPacketType().map(MqttPacket::type).distinct()).hasSize(14);
  }

  @Test
  void fourByteRemainingLengthRoundTrips() {
    // 2,097,152 bytes is the first remaining length that needs four bytes (2.2.3).
    ByteString payload = ByteString.fromArray(new byte[2_097_152]);
    Publish big = new Publish(false, 1, false, "t", 9, payload);
    ByteString encoded = MqttCodec.encode(big);
    assertThat(encoded.apply(1) & 0x80).isNotZero();
    assertThat(encoded.apply(3) & 0x80).isNotZero();
    assertThat(encoded.apply(4) & 0x80).isZero();
    assertThat(MqttCodec.decode(encoded)).isEqualTo(big);
  }

  @Test
  void remainingLengthBoundariesUseTheMinimalNumberOfBytes() {
    // 127 fits one byte, 128 needs two, 16383 two, 16384 three (2.2.3, table 2.4).
    int[][] bodyToHeader = {{127, 2}, {128, 3}, {16_383, 3}, {16_384, 4}};
    for (int[] c : bodyToHeader) {
      // Topic "t" takes 3 bytes of the body (length prefix + 't').
      Publish p = new Publish(false, 0, false, "t", 0, ByteString.fromArray(new byte[c[0] - 3]));
      ByteString encoded = MqttCodec.encode(p);
      assertThat(encoded.length() - c[0]).as("header for body %d", c[0]).isEqualTo(c[1]);
      assertThat(MqttCodec.decode(encoded)).isEqualTo(p);
    }
  }

  @Test
  void encodesTheExactBytesOfTheSpecExamples() {
    // PINGREQ, PUBACK and a QoS 1 PUBLISH byte for byte (3.12.1, 3.4.1, 3.3.1).
    assertThat(MqttCodec.encode(new PingReq())).isEqualTo(Bytes.hex("c0 00"));
    assertThat(MqttCodec.encode(new PubAck(10))).isEqualTo(Bytes.hex("40 02 00 0a"));
    assertThat(MqttCodec.encode(new Publish(true, 1, true, "a/b", 10, HELLO)))
        .isEqualTo(Bytes.hex("3b 0c 0003 612f62 000a 68656c6c6f"));
    assertThat(MqttCodec.encode(new Subscribe(1, List.of(new Subscription("a", 1)))))
        .isEqualTo(Bytes.hex("82 06 0001 0001 61 01"));
  }

  @Test
  void connectFlagsFollowThePresentFields() {
    Connect c = new Connect(true, 10, "c", Optional.of(new Will("w", HELLO, 2, true)),
        Optional.of("u"), Optional.of(HELLO));
    // Byte 9 of a CONNECT is its flags (3.1.2.3): user, password, will retain, will QoS 2, will, clean.
    assertThat(MqttCodec.encode(c).apply(9) & 0xFF).isEqualTo(0b1111_0110);
  }

  @Test
  void decodedPayloadsCompareByValue() {
    Publish a = new Publish(false, 0, false, "t", 0, ByteString.fromString("x"));
    Publish b = new Publish(false, 0, false, "t", 0, ByteString.fromArray(new byte[] {'x'}));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
  }

  @Test
  void packetsThatBreakARuleCannotBeBuilt() {
    assertThatThrownBy(() -> new Publish(false, 0, false, "a/#", 0, HELLO)).hasMessageContaining("3.3.2-2");
    assertThatThrownBy(() -> new Publish(false, 1, false, "a", 0, HELLO)).hasMessageContaining("2.3.1-1");
    assertThatThrownBy(() -> new Publish(true, 0, false, "a", 0, HELLO)).hasMessageContaining("3.3.1-2");
    assertThatThrownBy(() -> new Subscribe(1, List.of())).hasMessageContaining("3.8.3-3");
    assertThatThrownBy(() -> new Subscription("a#", 0)).hasMessageContaining("4.7.1-2");
    assertThatThrownBy(() -> new Connect(true, 0, "c", Optional.empty(), Optional.empty(), Optional.of(HELLO)))
        .hasMessageContaining("3.1.2-22");
    assertThatThrownBy(() -> new Publish(false, 0, false, "bad\uD800", 0, HELLO)).hasMessageContaining("1.5.3-1");
  }
}

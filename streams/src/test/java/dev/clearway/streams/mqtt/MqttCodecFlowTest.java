package dev.clearway.streams.mqtt;

import static dev.clearway.streams.mqtt.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.streams.mqtt.MqttPacket.ConnAck;
import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.Disconnect;
import dev.clearway.streams.mqtt.MqttPacket.PingReq;
import dev.clearway.streams.mqtt.MqttPacket.PingResp;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class MqttCodecFlowTest extends StreamTestKit {

  private static final MqttSettings SETTINGS = new MqttSettings(1024);
  private static final Connect CONNECT =
      new Connect(true, 60, "d1", Optional.empty(), Optional.of("hub/d1/?api-version=x"), Optional.empty());
  private static final Publish TELEMETRY =
      new Publish(false, 1, false, "devices/d1/messages/events/", 1, ByteString.fromString("{}"));

  private List<MqttInbound> inbound(MqttPacket... packets) throws Exception {
    return inbound(Source.from(List.of(packets)).map(MqttCodec::encode));
  }

  private List<MqttInbound> inbound(Source<ByteString, NotUsed> bytes) throws Exception {
    // Source.maybe keeps the device's side open: the stream must end on its own after an error.
    return run(bytes.concat(Source.maybe()).take(100), MqttCodecFlow.inbound(SETTINGS));
  }

  private static MqttError error(MqttInbound element) {
    assertThat(element).isInstanceOf(MqttError.class);
    return (MqttError) element;
  }

  @Test
  void decodesASessionInOrder() throws Exception {
    List<MqttInbound> out = run(Source.from(List.of(CONNECT, TELEMETRY, new PingReq(), new Disconnect()))
        .map(MqttCodec::encode), MqttCodecFlow.inbound(SETTINGS));
    assertThat(out).containsExactly(CONNECT, TELEMETRY, new PingReq(), new Disconnect());
  }

  @Test
  void anythingBeforeConnectIsAViolationAndEndsTheStream() throws Exception {
    List<MqttInbound> out = inbound(TELEMETRY, CONNECT);
    assertThat(out).hasSize(1);
    assertThat(error(out.get(0)).section()).isEqualTo("3.1.0-1");
    assertThat(error(out.get(0)).reason()).contains("PUBLISH");
  }

  @Test
  void aSecondConnectIsAViolationAndEndsTheStream() throws Exception {
    List<MqttInbound> out = inbound(CONNECT, TELEMETRY, CONNECT, TELEMETRY);
    assertThat(out).hasSize(3);
    assertThat(out.subList(0, 2)).containsExactly(CONNECT, TELEMETRY);
    assertThat(error(out.get(2)).section()).isEqualTo("3.1.0-2");
  }

  @Test
  void aDecodeErrorIsTheLastElement() throws Exception {
    // A PUBLISH with a wildcard topic between two good packets.
    ByteString bad = Bytes.packet(0x30, Bytes.str("a/#"));
    List<MqttInbound> out = inbound(Source.from(List.of(MqttCodec.encode(CONNECT), bad, MqttCodec.encode(TELEMETRY))));
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isEqualTo(CONNECT);
    assertThat(error(out.get(1))).isInstanceOf(MqttDecodeError.class);
    assertThat(error(out.get(1)).section()).isEqualTo("3.3.2-2");
  }

  @Test
  void aMalformedFirstPacketReportsItsOwnErrorNotTheSessionRule() throws Exception {
    List<MqttInbound> out = inbound(Source.single(Bytes.packet(0x10, Bytes.str("MQTT"), Bytes.u8(3))));
    assertThat(out).hasSize(1);
    assertThat(((MqttDecodeError) out.get(0)).unacceptableProtocolLevel()).isTrue();
  }

  @Test
  void aFramingErrorIsTheLastElement() throws Exception {
    List<MqttInbound> out = inbound(Source.from(List.of(MqttCodec.encode(CONNECT), hex("30 80 80 80 05"))));
    assertThat(out).hasSize(2);
    assertThat(error(out.get(1))).isInstanceOfSatisfying(MqttFramingError.class,
        e -> assertThat(e.kind()).isEqualTo(MqttFramingError.Kind.PACKET_TOO_LARGE));
  }

  @Test
  void theClientSideDecodesWhatAServerSendsAndEndsAfterTheFirstError() throws Exception {
    List<MqttInbound> out = run(Source.from(List.of(
            MqttCodec.encode(new ConnAck(false, 0)), MqttCodec.encode(TELEMETRY), Bytes.packet(0x30, Bytes.str("a/#")),
            MqttCodec.encode(new PingResp())))
        .concat(Source.maybe()).take(100), MqttCodecFlow.clientInbound(SETTINGS));
    assertThat(out).hasSize(3);
    assertThat(out.subList(0, 2)).containsExactly(new ConnAck(false, 0), TELEMETRY);
    assertThat(error(out.get(2)).section()).isEqualTo("3.3.2-2");
  }

  @Test
  void encodesOutboundPackets() throws Exception {
    List<MqttPacket> packets = List.of(new ConnAck(false, 0), new PubAck(1), new PingResp());
    List<ByteString> out = run(Source.from(packets), MqttCodecFlow.outbound());
    assertThat(out).containsExactly(hex("20 02 00 00"), hex("40 02 00 01"), hex("d0 00"));
  }

  @Test
  void joinedWithConnectionLogicItAnswersBytesWithBytes() throws Exception {
    // A minimal server: CONNACK for CONNECT, PUBACK for a QoS 1 PUBLISH, PINGRESP for PINGREQ.
    Flow<MqttInbound, MqttPacket, NotUsed> logic = Flow.<MqttInbound>create().mapConcat(in -> {
      if (in instanceof Connect) {
        return List.of(new ConnAck(false, 0));
      } else if (in instanceof Publish p && p.qos() == 1) {
        return List.of(new PubAck(p.packetId()));
      } else if (in instanceof PingReq) {
        return List.of(new PingResp());
      }
      return List.of();
    });
    Flow<ByteString, ByteString, NotUsed> server = MqttCodecFlow.create(SETTINGS).join(logic);
    ByteString request = MqttCodec.encode(CONNECT).concat(MqttCodec.encode(TELEMETRY)).concat(MqttCodec.encode(new PingReq()));
    List<ByteString> raw = run(Source.single(request), server);
    assertThat(raw.stream().reduce(ByteString.emptyByteString(), ByteString::concat))
        .isEqualTo(hex("20 02 00 00  40 02 00 01  d0 00"));
  }
}

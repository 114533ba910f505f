package dev.clearway.streams.mqtt;

import static dev.clearway.streams.mqtt.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.streams.mqtt.MqttFramingError.Kind;
import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.Disconnect;
import dev.clearway.streams.mqtt.MqttPacket.PingReq;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import dev.clearway.streams.mqtt.MqttPacket.Subscribe;
import dev.clearway.streams.mqtt.MqttPacket.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class MqttFramingTest extends StreamTestKit {

  private static final int MAX = 1024;

  /** Five packets of different types and sizes, back to back, as a device might send them. */
  private static final List<ByteString> PACKETS = List.of(
      MqttCodec.encode(new Connect(true, 60, "d1", Optional.empty(), Optional.of("u"), Optional.empty())),
      MqttCodec.encode(new Publish(false, 1, false, "devices/d1/messages/events/", 5,
          ByteString.fromArray(new byte[300]))),
      MqttCodec.encode(new PingReq()),
      MqttCodec.encode(new Subscribe(2, List.of(new Subscription("devices/d1/messages/devicebound/#", 1)))),
      MqttCodec.encode(new Disconnect()));

  private static Flow<ByteString, MqttFramed, ?> framing() {
    return Flow.fromGraph(new MqttFraming(MAX));
  }

  private static List<MqttFramed> frames(List<ByteString> packets) {
    return packets.stream().<MqttFramed>map(MqttFrame::new).toList();
  }

  private static ByteString concat(List<ByteString> parts) {
    return parts.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
  }

  @Test
  void splitsAtEveryChunkBoundary() throws Exception {
    ByteString all = concat(PACKETS);
    for (int cut = 0; cut <= all.length(); cut++) {
      List<ByteString> chunks = List.of(all.take(cut), all.drop(cut));
      assertThat(run(Source.from(chunks), framing())).as("cut at %d", cut).isEqualTo(frames(PACKETS));
    }
  }

  @Test
  void splitsAtEveryPairOfChunkBoundariesAroundTheSmallPackets() throws Exception {
    // Three chunks: every fixed header and length byte can land on either side of two cuts.
    ByteString all = concat(PACKETS);
    int from = PACKETS.get(0).length() + PACKETS.get(1).length() - 3;
    for (int a = from; a < all.length(); a++) {
      for (int b = a; b <= all.length(); b++) {
        List<ByteString> chunks = List.of(all.take(a), all.slice(a, b), all.drop(b));
        assertThat(run(Source.from(chunks), framing())).as("cuts %d, %d", a, b).isEqualTo(frames(PACKETS));
      }
    }
  }

  @Test
  void reassemblesOneByteChunks() throws Exception {
    ByteString all = concat(PACKETS);
    List<ByteString> chunks = new ArrayList<>();
    for (int i = 0; i < all.length(); i++) {
      chunks.add(all.slice(i, i + 1));
    }
    assertThat(run(Source.from(chunks), framing())).isEqualTo(frames(PACKETS));
  }

  @Test
  void splitsManyPacketsInOneChunk() throws Exception {
    List<ByteString> many = new ArrayList<>();
    for (int id = 1; id <= 2000; id++) {
      many.add(MqttCodec.encode(new PubAck(id)));
    }
    assertThat(run(Source.single(concat(many)), framing())).isEqualTo(frames(many));
  }

  @Test
  void readsNoFurtherChunkWhileItStillHoldsCompletePackets() throws Exception {
    // The buffer bound: a chunk is pulled only when the buffer holds no complete packet.
    List<ByteString> hundred = new ArrayList<>();
    for (int id = 1; id <= 100; id++) {
      hundred.add(MqttCodec.encode(new PubAck(id)));
    }
    AtomicInteger chunksRead = new AtomicInteger();
    Source<ByteString, ?> chunks = Source.from(List.of(concat(hundred), concat(hundred), concat(hundred)))
        .map(chunk -> {
          chunksRead.incrementAndGet();
          return chunk;
        });
    assertThat(run(chunks, framing().take(100))).isEqualTo(frames(hundred));
    assertThat(chunksRead).hasValue(1);
  }

  @Test
  void refusesAnOversizePacketFromItsHeaderBeforeTheBodyArrives() throws Exception {
    // A PUBLISH announcing 10 MB; the source then stays open and sends nothing, so the stream only
    // completes if the stage decides from the header alone.
    ByteString header = hex("30 80 80 80 05");
    List<MqttFramed> out = run(Source.single(header).concat(Source.maybe()), framing());
    assertThat(out).singleElement().isInstanceOfSatisfying(MqttFramingError.class, e -> {
      assertThat(e.kind()).isEqualTo(Kind.PACKET_TOO_LARGE);
      assertThat(e.reason()).contains("10485765 bytes").contains("max-packet-size 1024");
    });
  }

  @Test
  void acceptsAPacketOfExactlyTheMaximumSizeAndRefusesOneByteMore() throws Exception {
    ByteString exact = Bytes.packet(0x30, Bytes.str("t"), ByteString.fromArray(new byte[MAX - 3 - 3]));
    assertThat(exact.length()).isEqualTo(MAX);
    assertThat(run(Source.single(exact), framing())).isEqualTo(frames(List.of(exact)));
    ByteString over = Bytes.packet(0x30, Bytes.str("t"), ByteString.fromArray(new byte[MAX - 3 - 2]));
    assertThat(run(Source.single(over), framing()))
        .singleElement().extracting(f -> ((MqttFramingError) f).kind()).isEqualTo(Kind.PACKET_TOO_LARGE);
  }

  @Test
  void emitsThePacketsBeforeAMalformedRemainingLengthThenTheErrorAndCompletes() throws Exception {
    ByteString good = MqttCodec.encode(new PingReq());
    ByteString bad = hex("30 ff ff ff ff 01 00 00");
    List<MqttFramed> out = run(Source.from(List.of(good, bad, good)).concat(Source.maybe()), framing());
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isEqualTo(new MqttFrame(good));
    assertThat(out.get(1)).isInstanceOfSatisfying(MqttFramingError.class, e -> {
      assertThat(e.kind()).isEqualTo(Kind.MALFORMED_REMAINING_LENGTH);
      assertThat(e.section()).isEqualTo("2.2.3");
    });
  }

  @Test
  void reportsAStreamThatEndsInsideAPacket() throws Exception {
    ByteString good = MqttCodec.encode(new PingReq());
    List<MqttFramed> out = run(Source.from(List.of(good, hex("30 0a 00 01"))), framing());
    assertThat(out).hasSize(2);
    assertThat(out.get(1)).isInstanceOfSatisfying(MqttFramingError.class,
        e -> assertThat(e.kind()).isEqualTo(Kind.TRUNCATED));
  }

  @Test
  void completesQuietlyWhenTheStreamEndsBetweenPackets() throws Exception {
    assertThat(run(Source.from(PACKETS), framing())).isEqualTo(frames(PACKETS));
    assertThat(run(Source.<ByteString>empty(), framing())).isEmpty();
  }

  @Test
  void survivesRandomChunkingOfManyPackets() throws Exception {
    long seed = 20261126L;
    Random random = new Random(seed);
    List<ByteString> packets = new ArrayList<>();
    for (int i = 1; i <= 300; i++) {
      packets.add(MqttCodec.encode(new Publish(false, 1, i % 2 == 0, "t/" + i, i,
          ByteString.fromArray(new byte[random.nextInt(MAX - 20)]))));
    }
    ByteString all = concat(packets);
    List<ByteString> chunks = new ArrayList<>();
    for (int at = 0; at < all.length(); ) {
      int size = 1 + random.nextInt(3 * MAX);
      chunks.add(all.slice(at, at + size));
      at += size;
    }
    assertThat(run(Source.from(chunks), framing())).as("seed %d", seed).isEqualTo(frames(packets));
  }

  @Test
  void refusesAMaximumOutsideWhatMqttCanExpress() {
    assertThatThrownBy(() -> new MqttFraming(1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MqttFraming(Integer.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.clearway.streams.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing in the suite (no jqwik; see shared/deps.md). The seed is fixed so the build is
 * reproducible and printed in every failure message; {@code MqttCodecFuzz} in benchmarks/ runs the
 * same generators for a million inputs and more.
 */
class MqttCodecFuzzTest extends StreamTestKit {

  private static final long SEED = 0x4D515454_0311L;

  private static String hexOf(ByteString bytes) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length(), 64); i++) {
      s.append(String.format("%02x", bytes.apply(i) & 0xFF));
    }
    return s.toString();
  }

  @Test
  void decodeNeverThrowsAndEveryDecodedPacketSurvivesARoundTrip() {
    MqttFuzzInputs inputs = new MqttFuzzInputs(SEED);
    int packets = 0;
    int errors = 0;
    for (int i = 0; i < 100_000; i++) {
      ByteString input = inputs.input();
      MqttDecoded decoded;
      try {
        decoded = MqttCodec.decode(input);
      } catch (RuntimeException e) {
        throw new AssertionError("seed " + SEED + ", input #" + i + " " + hexOf(input) + " threw", e);
      }
      assertThat(decoded).as("seed %d, input #%d %s", SEED, i, hexOf(input)).isNotNull();
      assertThat(MqttFuzzInputs.roundTripFailure(decoded)).as("seed %d, input #%d %s", SEED, i, hexOf(input)).isNull();
      if (decoded instanceof MqttPacket) {
        packets++;
      } else {
        errors++;
      }
    }
    // Both outcomes must be frequent, or the generator has stopped exercising one side.
    assertThat(packets).as("packets").isGreaterThan(20_000);
    assertThat(errors).as("errors").isGreaterThan(20_000);
  }

  @Test
  void theInboundFlowNeverFailsOnRandomConnectionsAndEndsAtItsFirstError() throws Exception {
    MqttFuzzInputs inputs = new MqttFuzzInputs(SEED + 1);
    MqttSettings settings = new MqttSettings(4096);
    ByteString connect = MqttCodec.encode(new MqttPacket.Connect(true, 0, "c", Optional.empty(), Optional.empty(), Optional.empty()));
    for (int connection = 0; connection < 1_000; connection++) {
      // A CONNECT, then a few inputs, chunked at random: what a misbehaving device might send.
      ByteString bytes = connect;
      for (int i = 0; i < 5; i++) {
        bytes = bytes.concat(inputs.input());
      }
      List<MqttInbound> out = run(Source.from(inputs.chunks(bytes)), MqttCodecFlow.inbound(settings));
      String where = "seed " + (SEED + 1) + ", connection #" + connection + " " + hexOf(bytes);
      assertThat(out).as(where).isNotEmpty();
      List<MqttInbound> beforeLast = new ArrayList<>(out.subList(0, out.size() - 1));
      assertThat(beforeLast).as(where).allMatch(e -> e instanceof MqttPacket);
    }
  }
}

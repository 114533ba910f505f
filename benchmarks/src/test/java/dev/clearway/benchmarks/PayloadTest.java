package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.benchmarks.Payload.Stamp;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The load generator's message body: the stamp the receiver reads latency and identity from. */
class PayloadTest {

  @Test
  void aStampRoundTripsThroughABodyOfTheAskedSize() {
    Stamp stamp = new Stamp(3, 97, 123_456L, -8_765_432_109_876L); // nanoTime may be negative
    byte[] body = Payload.encode(stamp, 1024);
    assertThat(body).hasSize(1024);
    assertThat(Payload.decode(ByteBuffer.wrap(body))).contains(stamp);
  }

  @Test
  void decodingLeavesTheCallersBufferPositionAlone() {
    ByteBuffer body = ByteBuffer.wrap(Payload.encode(new Stamp(1, 2, 3, 4), 64));
    Payload.decode(body);
    assertThat(body.position()).isZero();
  }

  @Test
  void aBodyThatIsNotOursOrWasCutShortHasNoStamp() {
    byte[] body = Payload.encode(new Stamp(1, 2, 3, 4), 256);
    assertThat(Payload.decode(ByteBuffer.wrap(Arrays.copyOf(body, 200)))).as("truncated").isEmpty();
    assertThat(Payload.decode(ByteBuffer.wrap(Arrays.copyOf(body, 10)))).as("shorter than a stamp").isEmpty();
    body[0] = 'X';
    assertThat(Payload.decode(ByteBuffer.wrap(body))).as("another magic").isEmpty();
    assertThat(Payload.decode(ByteBuffer.wrap("{\"temperature\": 21}".getBytes()))).as("someone else's JSON").isEmpty();
  }

  @Test
  void aBodyTooSmallForTheStampIsRefused() {
    assertThatThrownBy(() -> Payload.encode(new Stamp(1, 2, 3, 4), Payload.STAMP_BYTES - 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 32");
  }
}

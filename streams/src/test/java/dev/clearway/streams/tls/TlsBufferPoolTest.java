package dev.clearway.streams.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shared TLS buffer pool: bounded, never waiting, and its one setting. */
class TlsBufferPoolTest {

  private static TlsBufferPool fromConfig(String hocon) {
    return TlsBufferPool.create(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve());
  }

  @Test
  void theDefaultKeepsAtMost32FreeBuffersAndDropsTheRest() {
    TlsBufferPool pool = fromConfig("");
    List<ByteBuffer> lent = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      lent.add(pool.acquire(TlsBufferPool.bufferSize()));
    }
    assertThat(pool.lent()).isEqualTo(40);

    lent.forEach(pool::release);

    assertThat(pool.pooled()).isEqualTo(32);
    assertThat(pool.lent()).isZero();
  }

  @Test
  void aPooledBufferComesBackClearedAndIsLentAgain() {
    TlsBufferPool pool = new TlsBufferPool(2);
    ByteBuffer first = pool.acquire(100);
    first.put((byte) 1).flip();

    pool.release(first);
    ByteBuffer again = pool.acquire(100);

    assertThat(again).isSameAs(first);
    assertThat(again.position()).isZero();
    assertThat(again.remaining()).isEqualTo(TlsBufferPool.bufferSize());
  }

  @Test
  void anEmptyPoolAllocatesInsteadOfWaiting() {
    TlsBufferPool pool = new TlsBufferPool(0);

    ByteBuffer b = pool.acquire(10);
    pool.release(b);

    assertThat(b.capacity()).isEqualTo(TlsBufferPool.bufferSize());
    assertThat(pool.pooled()).isZero();
  }

  @Test
  void aBufferLargerThanTheRecordSizeIsNeverPooled() {
    TlsBufferPool pool = new TlsBufferPool(4);

    ByteBuffer big = pool.acquire(TlsBufferPool.bufferSize() + 1);
    pool.release(big);

    assertThat(big.capacity()).isGreaterThan(TlsBufferPool.bufferSize());
    assertThat(pool.pooled()).isZero();
  }

  @Test
  void theBufferSizeHoldsAWholeTlsRecord() {
    assertThat(TlsBufferPool.bufferSize()).isGreaterThanOrEqualTo(16 * 1024 + 5);
  }

  @Test
  void wrongValuesNameTheKeyAndTheProblem() {
    assertThatThrownBy(() -> fromConfig("clearway.streams.tls.pooled-buffers = lots"))
        .hasMessage("clearway.streams.tls.pooled-buffers: must be a whole number of buffers such as 32");
    assertThatThrownBy(() -> fromConfig("clearway.streams.tls.pooled-buffers = -1"))
        .hasMessage("clearway.streams.tls.pooled-buffers: -1 is outside 0..4096");
    assertThatThrownBy(() -> fromConfig("clearway.streams.tls.pooled-buffers = 5000"))
        .hasMessage("clearway.streams.tls.pooled-buffers: 5000 is outside 0..4096");
  }
}

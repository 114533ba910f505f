package dev.clearway.streams.tls;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

/**
 * Heap buffers that TLS connections borrow for one wrap or unwrap and give back at once, so that an
 * idle connection holds none. Shared by every connection of a listener (and thread-safe); it keeps
 * at most {@code clearway.streams.tls.pooled-buffers} free buffers. It never blocks: when it is
 * empty, {@link #acquire} allocates a new buffer, and a buffer returned to a full pool is dropped.
 *
 * <p>Every pooled buffer has the JDK's default TLS record size ({@link #bufferSize()}, the larger of
 * an {@link SSLSession}'s packet and application buffer sizes, about 16.3 KiB). A larger request
 * (an engine that accepts larger records) gets a buffer of its own that is never pooled.
 */
public final class TlsBufferPool {

  /** The config subtree the pool's setting is read from. */
  public static final String PATH = "clearway.streams.tls";

  /** The largest {@code pooled-buffers} accepted. */
  static final int MAX_POOLED = 4096;

  private static final int BUFFER_SIZE = defaultRecordBufferSize();

  private final ArrayBlockingQueue<ByteBuffer> free;
  private final AtomicInteger lent = new AtomicInteger();

  /** A pool keeping at most {@code maxPooled} free buffers (0: nothing is kept, every buffer is new). */
  public TlsBufferPool(int maxPooled) {
    if (maxPooled < 0 || maxPooled > MAX_POOLED) {
      throw new TlsSettingsException("pooled-buffers", maxPooled + " is outside 0.." + MAX_POOLED);
    }
    this.free = maxPooled == 0 ? null : new ArrayBlockingQueue<>(maxPooled);
  }

  /** Reads {@code clearway.streams.tls.pooled-buffers} from a configuration that includes reference.conf. */
  public static TlsBufferPool create(Config root) {
    int maxPooled;
    try {
      maxPooled = root.getConfig(PATH).getInt("pooled-buffers");
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw new TlsSettingsException("pooled-buffers", "must be a whole number of buffers such as 32");
    }
    return new TlsBufferPool(maxPooled);
  }

  /** The capacity of every pooled buffer, in bytes. */
  public static int bufferSize() {
    return BUFFER_SIZE;
  }

  /** Free buffers held now (for tests and diagnostics). */
  public int pooled() {
    return free == null ? 0 : free.size();
  }

  /** Buffers acquired and not yet given back: 0 when every connection is idle. */
  public int lent() {
    return lent.get();
  }

  /** A cleared buffer of at least {@code minCapacity} bytes; never waits. */
  ByteBuffer acquire(int minCapacity) {
    lent.incrementAndGet();
    if (minCapacity > BUFFER_SIZE) {
      return ByteBuffer.allocate(minCapacity);
    }
    ByteBuffer b = free == null ? null : free.poll();
    return b != null ? b : ByteBuffer.allocate(BUFFER_SIZE);
  }

  /** Gives a buffer back; it must not be used afterwards. Buffers of another size, or beyond the bound, are dropped. */
  void release(ByteBuffer b) {
    lent.decrementAndGet();
    if (b != null && free != null && b.capacity() == BUFFER_SIZE) {
      b.clear();
      free.offer(b); // false when full: the buffer is left to the garbage collector
    }
  }

  private static int defaultRecordBufferSize() {
    try {
      // A context of its own: the JVM's default one would read the javax.net.ssl.* key stores.
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, null, null);
      SSLSession s = context.createSSLEngine().getSession();
      return Math.max(s.getPacketBufferSize(), s.getApplicationBufferSize());
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's TLS provider is unavailable", e);
    }
  }

  /** A wrong {@code clearway.streams.tls} setting; the message is one line naming the key. */
  public static final class TlsSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TlsSettingsException(String key, String problem) {
      super(PATH + "." + key + ": " + problem);
    }
  }
}

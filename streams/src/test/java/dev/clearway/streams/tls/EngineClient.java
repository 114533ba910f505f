package dev.clearway.streams.tls;

import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import org.apache.pekko.util.ByteString;

/**
 * The JDK's own client {@link SSLEngine}, driven synchronously by a test: the test decides how its
 * ciphertext is cut into chunks before the stage under test sees it.
 */
final class EngineClient {
  final SSLEngine engine;
  /** Ciphertext from the server not yet unwrapped. */
  private ByteString pending = ByteString.emptyByteString();
  private boolean closeNotifyReceived;

  EngineClient(SSLEngine engine) {
    this.engine = engine;
  }

  boolean handshaking() {
    SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
    return hs != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING && hs != SSLEngineResult.HandshakeStatus.FINISHED;
  }

  SSLEngineResult.HandshakeStatus status() {
    runTasks();
    return engine.getHandshakeStatus();
  }

  /** Ciphertext received and not yet unwrapped (the engine wanted to wrap first, say). */
  int pendingBytes() {
    return pending.length();
  }

  boolean closeNotifyReceived() {
    return closeNotifyReceived;
  }

  /** Everything the engine wants to send now: handshake messages, then {@code app} as records. */
  ByteString wrap(ByteString app) throws SSLException {
    ByteBuffer src = ByteBuffer.wrap(app.toArray());
    ByteBuffer dst = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    ByteString out = ByteString.emptyByteString();
    while (true) {
      runTasks();
      SSLEngineResult r = engine.wrap(src, dst);
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        dst = ByteBuffer.allocate(dst.capacity() * 2);
        continue;
      }
      dst.flip();
      out = out.concat(ByteString.fromByteBuffer(dst));
      dst.clear();
      runTasks();
      boolean more = r.getStatus() == SSLEngineResult.Status.OK
          && (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP
              || (src.hasRemaining() && !handshaking()));
      if (!more) {
        return out;
      }
    }
  }

  /** Unwraps the whole records received so far; returns their plaintext. */
  ByteString unwrap(ByteString cipher) throws SSLException {
    pending = pending.concat(cipher);
    ByteString plain = ByteString.emptyByteString();
    ByteBuffer src = ByteBuffer.wrap(pending.toArray()); // writable: the JDK decrypts in place
    ByteBuffer dst = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
    while (src.hasRemaining()) {
      runTasks();
      SSLEngineResult r = engine.unwrap(src, dst);
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        dst = ByteBuffer.allocate(dst.capacity() * 2);
        continue;
      }
      dst.flip();
      plain = plain.concat(ByteString.fromByteBuffer(dst));
      dst.clear();
      if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
        closeNotifyReceived = true;
        src.position(src.limit());
        break;
      }
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW || r.bytesConsumed() == 0) {
        break;
      }
    }
    pending = pending.drop(src.position());
    return plain;
  }

  private void runTasks() {
    Runnable t;
    while ((t = engine.getDelegatedTask()) != null) {
      t.run();
    }
  }
}

package dev.clearway.streams.tls;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.util.ByteString;

/**
 * TLS for one connection as a {@link BidiFlow}, in place of Pekko's {@code TLS.create}, that holds
 * no buffers while the connection is idle (they are borrowed from a {@link TlsBufferPool} for each
 * wrap and unwrap):
 *
 * <pre>
 *   plaintext from the application  ─▶ ┌─────┐ ─▶ ciphertext to the network
 *   plaintext to the application    ◀─ └─────┘ ◀─ ciphertext from the network
 * </pre>
 *
 * <p>The engine's mode (client or server), protocols and client-certificate policy are whatever
 * {@code engine} sets; the handshake starts when the flow is materialized.
 *
 * <ul>
 *   <li>{@code onEstablished} is called once, on the stream's thread, when the first handshake
 *       finishes and before any plaintext is emitted.
 *   <li>When the application's side completes, its last bytes are sent, then close_notify, and the
 *       network side completes (the transport may close at once: the peer's close_notify is not
 *       waited for).
 *   <li>Plaintext ends when the peer's close_notify arrives, or when the network side completes
 *       (without close_notify: the application's framing judges a truncated message).
 *   <li>A cancelled plaintext output does not end the connection: the application's remaining
 *       bytes are still encrypted and sent, and what the peer sends is read and dropped.
 *   <li>A TLS failure (a handshake the engine refuses, a bad record) fails the plaintext output with
 *       the engine's {@link javax.net.ssl.SSLException}; the engine's alert is sent to the peer and
 *       the network side then completes.
 * </ul>
 */
public final class TlsFlow {

  private TlsFlow() {}

  /**
   * A TLS flow whose handshake cryptography (the engine's delegated tasks) runs inline, on the
   * stream's thread.
   *
   * @param engine makes the connection's engine, called once per materialization
   * @param onEstablished told the session when the first handshake finishes
   * @param pool the buffers the connection borrows
   */
  public static BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> create(
      Supplier<SSLEngine> engine, Consumer<SSLSession> onEstablished, TlsBufferPool pool) {
    return BidiFlow.fromGraph(new SslEngineStage(engine, onEstablished, pool, null));
  }

  /**
   * A TLS flow whose handshake cryptography runs on {@code handshakeTasks}, so that a burst of new
   * connections does not hold up the threads the established ones run on. The connection's stream
   * resumes (on its own thread) when its tasks are done; an executor that refuses them (shutting
   * down) has them run inline.
   */
  public static BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> create(
      Supplier<SSLEngine> engine, Consumer<SSLSession> onEstablished, TlsBufferPool pool, Executor handshakeTasks) {
    return BidiFlow.fromGraph(new SslEngineStage(engine, onEstablished, pool, Objects.requireNonNull(handshakeTasks)));
  }
}

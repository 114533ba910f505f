package dev.clearway.streams.tls;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLSession;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.SinkQueueWithCancel;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;

/**
 * The stage under test as a server, materialized without sockets: the test offers the client's
 * ciphertext chunk by chunk (cut as it likes) and takes the server's ciphertext chunk by chunk; the
 * application side is whatever flow the test joins (an echo, or queues of its own).
 */
final class InProcessServer<M> {
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  final SourceQueueWithComplete<ByteString> fromClient;
  final SinkQueueWithCancel<ByteString> toClient;
  final M app;
  final CompletableFuture<SSLSession> established = new CompletableFuture<>();

  private InProcessServer(ActorSystem system, Supplier<SSLEngine> engine, TlsBufferPool pool,
      Flow<ByteString, ByteString, M> appFlow, Consumer<SSLSession> onEstablished, Executor handshakeTasks) {
    Consumer<SSLSession> told = s -> {
      onEstablished.accept(s);
      established.complete(s);
    };
    Flow<ByteString, ByteString, M> server = (handshakeTasks == null ? TlsFlow.create(engine, told, pool)
        : TlsFlow.create(engine, told, pool, handshakeTasks)).reversed().join(appFlow, Keep.<NotUsed, M>right());
    // No buffer beyond one element on either network side, so a test sees what the stage itself holds.
    Pair<Pair<SourceQueueWithComplete<ByteString>, M>, SinkQueueWithCancel<ByteString>> m =
        Source.<ByteString>queue(1, OverflowStrategy.backpressure())
            .viaMat(server, Keep.both())
            .toMat(Sink.<ByteString>queue().withAttributes(Attributes.inputBuffer(1, 1)), Keep.both())
            .run(system);
    fromClient = m.first().first();
    app = m.first().second();
    toClient = m.second();
  }

  static <M> InProcessServer<M> start(ActorSystem system, Supplier<SSLEngine> engine, TlsBufferPool pool,
      Flow<ByteString, ByteString, M> app) {
    return new InProcessServer<>(system, engine, pool, app, s -> { }, null);
  }

  static <M> InProcessServer<M> start(ActorSystem system, Supplier<SSLEngine> engine, TlsBufferPool pool,
      Flow<ByteString, ByteString, M> app, Consumer<SSLSession> onEstablished) {
    return new InProcessServer<>(system, engine, pool, app, onEstablished, null);
  }

  /** A server whose handshake tasks run on {@code handshakeTasks}. */
  static <M> InProcessServer<M> startWithHandshakeExecutor(ActorSystem system, Supplier<SSLEngine> engine, TlsBufferPool pool,
      Flow<ByteString, ByteString, M> app, Executor handshakeTasks) {
    return new InProcessServer<>(system, engine, pool, app, s -> { }, handshakeTasks);
  }

  /** Offers one chunk of ciphertext and waits until the stream took it. */
  void offer(ByteString chunk) throws Exception {
    QueueOfferResult r = fromClient.offer(chunk).toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (r != QueueOfferResult.enqueued()) {
      throw new AssertionError("chunk not taken: " + r);
    }
  }

  /** Offers {@code cipher} cut into chunks of {@code chunkSize} bytes. */
  void offer(ByteString cipher, int chunkSize) throws Exception {
    for (int i = 0; i < cipher.length(); i += chunkSize) {
      offer(cipher.slice(i, Math.min(cipher.length(), i + chunkSize)));
    }
  }

  /** The next chunk of the server's ciphertext; empty when the server's network side completed. */
  Optional<ByteString> take() throws Exception {
    return toClient.pull().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Drives the client's handshake to its end, cutting its ciphertext into {@code chunkSize} chunks. */
  void handshake(EngineClient client, int chunkSize) throws Exception {
    client.engine.beginHandshake();
    while (client.handshaking()) {
      SSLEngineResult.HandshakeStatus hs = client.status();
      if (hs == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
        offer(client.wrap(ByteString.emptyByteString()), chunkSize);
      } else if (hs == SSLEngineResult.HandshakeStatus.NEED_UNWRAP) {
        int pending = client.pendingBytes();
        if (pending > 0 && client.unwrap(ByteString.emptyByteString()) != null && client.pendingBytes() < pending) {
          continue; // records that arrived while the client wanted to wrap first
        }
        ByteString chunk = take().orElseThrow(() -> new AssertionError("the server closed during the handshake"));
        client.unwrap(chunk);
      }
    }
  }

  /** Reads the server's ciphertext until {@code bytes} of plaintext have arrived. */
  ByteString read(EngineClient client, int bytes) throws Exception {
    ByteString got = ByteString.emptyByteString();
    while (got.length() < bytes) {
      ByteString chunk = take().orElseThrow(() -> new AssertionError("the server closed before " + bytes + " plaintext bytes arrived"));
      got = got.concat(client.unwrap(chunk));
      answerKeyUpdate(client);
    }
    return got;
  }

  /** A TLS 1.3 key update from the server is answered as the JDK asks (it wants to wrap). */
  void answerKeyUpdate(EngineClient client) throws Exception {
    if (client.status() == SSLEngineResult.HandshakeStatus.NEED_WRAP && !client.engine.isOutboundDone()) {
      ByteString out = client.wrap(ByteString.emptyByteString());
      if (!out.isEmpty()) {
        offer(out);
      }
    }
  }
}

package dev.clearway.streams.tls;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * The stage under test behind a real listening socket on 127.0.0.1 (Pekko's TCP, as the gateway
 * uses it), each connection joined to the application flow a test supplies. Records every
 * established session and how every connection's plaintext side ended.
 */
final class TcpTlsServer implements AutoCloseable {
  /** How one connection's plaintext side ended: {@code null} for a normal end, else the failure. */
  record Ending(Throwable failure) {}

  final List<SSLSession> sessions = new CopyOnWriteArrayList<>();
  final LinkedBlockingQueue<Ending> endings = new LinkedBlockingQueue<>();
  private final Tcp.ServerBinding binding;

  TcpTlsServer(ActorSystem system, Supplier<SSLEngine> engine, TlsBufferPool pool,
      Supplier<Flow<ByteString, ByteString, ?>> app) throws Exception {
    binding = Tcp.get(system).bind("127.0.0.1", 0)
        .to(Sink.foreach(connection -> connection.handleWith(
            TlsFlow.create(engine, sessions::add, pool).reversed().join(
                Flow.<ByteString>create()
                    .watchTermination((m, done) -> done.whenComplete((d, e) -> endings.add(new Ending(e))))
                    .via(app.get())),
            system)))
        .run(system)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  int port() {
    return binding.localAddress().getPort();
  }

  /** How the next connection's plaintext side ended; fails the test if none ends within 10 s. */
  Ending nextEnding() throws InterruptedException {
    Ending e = endings.poll(10, TimeUnit.SECONDS);
    if (e == null) {
      throw new AssertionError("no connection ended within 10 s");
    }
    return e;
  }

  @Override
  public void close() throws Exception {
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}

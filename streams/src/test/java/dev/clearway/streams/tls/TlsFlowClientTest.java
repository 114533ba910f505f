package dev.clearway.streams.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS stage in client mode (the uplink's side) over Pekko's TCP, against the JDK's own
 * {@code SSLServerSocket} serving the gateway's certificate: the engine's verification of the
 * server's chain and host name is what decides.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsFlowClientTest {
  private ActorSystem system;
  private TlsFixtures tls;
  private SSLContext client;
  private final TlsBufferPool pool = new TlsBufferPool(8);

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    system = ActorSystem.create("TlsFlowClientTest");
    tls = new TlsFixtures(dir, List.of("TLSv1.3", "TLSv1.2"));
    client = tls.clientContext(null);
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** A JDK TLS server on 127.0.0.1 that echoes every connection until the client closes. */
  private final class JdkEchoServer implements AutoCloseable {
    final ServerSocket socket;
    private final Thread acceptor;

    JdkEchoServer(String protocol) throws IOException {
      socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
      acceptor = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            Socket plain = socket.accept();
            SSLSocket s = (SSLSocket) tls.serverTls.context().getSocketFactory().createSocket(plain, null, plain.getPort(), true);
            s.setUseClientMode(false);
            SSLParameters p = tls.serverTls.parameters();
            p.setProtocols(new String[] {protocol});
            s.setSSLParameters(p);
            Thread t = new Thread(() -> {
              try (s) {
                s.getInputStream().transferTo(s.getOutputStream());
              } catch (IOException e) {
                // a refused handshake: nothing to echo
              }
            }, "jdk-echo-conn");
            t.setDaemon(true);
            t.start();
          } catch (IOException e) {
            return;
          }
        }
      }, "jdk-echo-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    @Override
    public void close() throws Exception {
      socket.close();
      acceptor.join(5_000);
    }
  }

  private Flow<ByteString, ByteString, ?> connection(int port, SSLEngine engine) {
    return TlsFlow.create(() -> engine, s -> { }, pool)
        .join(Tcp.get(system).outgoingConnection("127.0.0.1", port));
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void theClientVerifiesTheServerSendsItsBytesAndReadsTheEchoUntilTheServerCloses(String protocol) throws Exception {
    try (JdkEchoServer server = new JdkEchoServer(protocol)) {
      SSLEngine engine = tls.clientEngine(client, protocol);
      engine.setSSLParameters(verifyingHostName(engine));
      ByteString message = ByteString.fromString("hello through the uplink", StandardCharsets.UTF_8);

      // The source completes after the message: close_notify follows it, and the server, having
      // echoed, closes too.
      CompletionStage<ByteString> echoed = Source.single(message)
          .via(connection(server.socket.getLocalPort(), engine))
          .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), system);

      assertThat(echoed.toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(message);
      assertThat(engine.getSession().getProtocol()).isEqualTo(protocol);
    }
  }

  @Test
  void aClientMakesItsFirstFlightOnlyOnceTheNetworkAsksForBytes() throws Exception {
    // An unreachable hub must cost no key-pair generation: the network side (a TCP connection
    // still connecting) asks for nothing, so the handshake must not begin.
    SSLEngine engine = tls.clientEngine(client, "TLSv1.3");
    java.util.concurrent.atomic.AtomicReference<org.reactivestreams.Subscription> network = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.CompletableFuture<ByteString> firstFlight = new java.util.concurrent.CompletableFuture<>();
    org.reactivestreams.Subscriber<ByteString> wire = new org.reactivestreams.Subscriber<>() {
      @Override
      public void onSubscribe(org.reactivestreams.Subscription subscription) {
        network.set(subscription);
      }

      @Override
      public void onNext(ByteString bytes) {
        firstFlight.complete(bytes);
      }

      @Override
      public void onError(Throwable t) {
        firstFlight.completeExceptionally(t);
      }

      @Override
      public void onComplete() {
      }
    };
    Source.<ByteString>maybe()
        .via(TlsFlow.create(() -> engine, s -> { }, pool).join(Flow.fromSinkAndSource(Sink.fromSubscriber(wire), Source.<ByteString>never())))
        .runWith(Sink.ignore(), system);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> network.get() != null);

    org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300)).atMost(java.time.Duration.ofSeconds(2))
        .until(() -> engine.getHandshakeStatus() == javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING);
    network.get().request(1);

    ByteString hello = firstFlight.get(5, TimeUnit.SECONDS);
    assertThat(hello.apply(0)).as("a TLS handshake record (the ClientHello)").isEqualTo((byte) 22);
  }

  @Test
  void aServerCertificateForAnotherHostNameFailsTheStreamWithOneLine() throws Exception {
    try (JdkEchoServer server = new JdkEchoServer("TLSv1.3")) {
      SSLEngine engine = client.createSSLEngine("impostor.example.test", 8883);
      engine.setUseClientMode(true);
      engine.setSSLParameters(verifyingHostName(engine));

      CompletionStage<ByteString> echoed = Source.<ByteString>maybe()
          .via(connection(server.socket.getLocalPort(), engine))
          .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), system);

      try {
        echoed.toCompletableFuture().get(10, TimeUnit.SECONDS);
        throw new AssertionError("the handshake succeeded for the wrong host name");
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(SSLHandshakeException.class);
        assertThat(e.getCause().getMessage()).contains("impostor.example.test").doesNotContain("\n");
      }
    }
  }

  private static SSLParameters verifyingHostName(SSLEngine engine) {
    SSLParameters p = engine.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    return p;
  }
}

package dev.clearway.streams.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The transport against the JDK's blocking sockets, on loopback. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TcpTransportTest {
  private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  private ActorSystem system;
  private Materializer materializer;
  private TcpTransport tcp;

  @BeforeAll
  void start() {
    system = ActorSystem.create("tcp-test");
    materializer = Materializer.matFromSystem(system);
    // Small reads and little slack, so a few MB cross many reads, pauses and partial writes.
    tcp = TcpTransport.start("tcp-test", new TcpTransport.Settings(2, 4096, 1, 16));
  }

  @AfterAll
  void stop() throws Exception {
    tcp.close();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private TcpTransport.Binding bind(Flow<ByteString, ByteString, ?> handler) throws Exception {
    return tcp.bind(ANY_PORT, incoming -> incoming.handleWith(handler, materializer)).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Socket connect(TcpTransport.Binding binding) throws IOException {
    Socket socket = new Socket(binding.localAddress().getAddress(), binding.localAddress().getPort());
    socket.setSoTimeout(30_000);
    return socket;
  }

  @Test
  void anEchoHandlerReturnsEveryByteOfALargeStreamInOrder() throws Exception {
    TcpTransport.Binding binding = bind(Flow.create());
    byte[] sent = new byte[8 * 1024 * 1024];
    new Random(7).nextBytes(sent);
    try (Socket socket = connect(binding)) {
      // The writer runs beside the reader: the echo's writes wait for this reader, its reads for
      // its writes, and both directions pass through many partial writes and paused reads.
      CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = socket.getOutputStream();
          for (int i = 0; i < sent.length; i += 65_536) {
            out.write(sent, i, Math.min(65_536, sent.length - i));
          }
          out.flush();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      byte[] received = new byte[sent.length];
      new DataInputStream(socket.getInputStream()).readFully(received);
      writing.get(30, TimeUnit.SECONDS);
      assertThat(Arrays.equals(received, sent)).as("the echoed bytes equal the sent ones").isTrue();
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void whatThePeerSentBeforeClosingReachesTheHandlerAndItsStreamCompletes() throws Exception {
    CompletableFuture<ByteString> got = new CompletableFuture<>();
    Sink<ByteString, ?> collect = Sink.<ByteString, ByteString>fold(ByteString.emptyByteString(), ByteString::concat)
        .mapMaterializedValue(all -> all.whenComplete((bytes, failure) -> got.complete(failure == null ? bytes : null)));
    TcpTransport.Binding binding = bind(Flow.fromSinkAndSource(collect, Source.maybe()));
    try (Socket socket = connect(binding)) {
      socket.getOutputStream().write("hello, then goodbye".getBytes(StandardCharsets.UTF_8));
      socket.shutdownOutput();
      ByteString all = got.get(10, TimeUnit.SECONDS);
      assertThat(all).as("the stream completed, not failed").isNotNull();
      assertThat(all.utf8String()).isEqualTo("hello, then goodbye");
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theHandlersEndWritesItsLastBytesThenClosesTheSocket() throws Exception {
    TcpTransport.Binding binding = bind(Flow.fromSinkAndSource(Sink.ignore(), Source.single(ByteString.fromString("bye"))));
    try (Socket socket = connect(binding)) {
      InputStream in = socket.getInputStream();
      assertThat(new String(in.readNBytes(3), StandardCharsets.UTF_8)).isEqualTo("bye");
      assertThat(in.read()).as("end of stream after the last bytes").isEqualTo(-1);
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anOutgoingConnectionWritesReadsAndEndsWhenThePeerCloses() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletionStage<ByteString> reply = Source.single(ByteString.fromString("ping"))
          .concat(Source.maybe()) // half-close: the input stays open until the peer ends
          .via(tcp.outgoing(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), Duration.ofSeconds(10), true))
          .runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), materializer);
      try (Socket peer = server.accept()) {
        assertThat(new String(peer.getInputStream().readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("ping");
        peer.getOutputStream().write("pong".getBytes(StandardCharsets.UTF_8));
      }
      assertThat(reply.toCompletableFuture().get(10, TimeUnit.SECONDS).utf8String()).isEqualTo("pong");
    }
  }

  @Test
  void anOutgoingConnectionToAClosedPortFailsWithConnectException() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    CompletionStage<ByteString> result = Source.<ByteString>maybe()
        .via(tcp.outgoing(new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort), Duration.ofSeconds(10), true))
        .runWith(Sink.head(), materializer);
    assertThatThrownBy(() -> result.toCompletableFuture().get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ConnectException.class);
  }

  @Test
  void aNameThatDoesNotResolveFailsTheConnectionNamingIt() {
    CompletionStage<ByteString> result = Source.<ByteString>maybe()
        .via(tcp.outgoing(InetSocketAddress.createUnresolved("no-such-host.invalid", 8883), Duration.ofSeconds(30), true))
        .runWith(Sink.head(), materializer);
    assertThatThrownBy(() -> result.toCompletableFuture().get(40, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(UnknownHostException.class).hasMessageContaining("no-such-host.invalid");
  }

  @Test
  void afterUnbindNewConnectionsAreRefusedAndTakenOnesStay() throws Exception {
    TcpTransport.Binding binding = bind(Flow.create());
    try (Socket taken = connect(binding)) {
      // Served (an echo came back) before the unbind: one still in the kernel's backlog is reset.
      taken.getOutputStream().write('x');
      assertThat(taken.getInputStream().read()).isEqualTo('x');
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThatThrownBy(() -> connect(binding).close()).isInstanceOf(ConnectException.class);
      taken.getOutputStream().write("still here".getBytes(StandardCharsets.UTF_8));
      assertThat(new String(taken.getInputStream().readNBytes(10), StandardCharsets.UTF_8)).isEqualTo("still here");
    }
  }
}

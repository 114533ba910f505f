package dev.clearway.streams.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.tls.CertifiedKey;
import dev.clearway.tls.OpenSsl;
import dev.clearway.tls.ServerTls;
import dev.clearway.tls.SessionResumption;
import dev.clearway.tls.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.FramingTruncation;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The TLS stage behind a real socket, judged by clients no one here wrote: OpenSSL's
 * {@code s_client} (TLS 1.2 and 1.3, client certificates, key updates, renegotiation, refusals)
 * and the JDK's {@link SSLSocket}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsFlowOpenSslTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private ActorSystem system;
  private TlsFixtures tls;
  private Path dir;
  private final TlsBufferPool pool = new TlsBufferPool(8);

  @BeforeAll
  void start(@TempDir Path dir) {
    this.dir = dir;
    system = ActorSystem.create("TlsFlowOpenSslTest");
    tls = new TlsFixtures(dir, List.of("TLSv1.3", "TLSv1.2"));
  }

  @AfterAll
  void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Answers every line with "echo:" and the line. */
  private static Flow<ByteString, ByteString, NotUsed> lineEcho() {
    return Flow.<ByteString>create()
        .via(Framing.delimiter(ByteString.fromString("\n"), 1 << 20, FramingTruncation.ALLOW))
        .map(line -> ByteString.fromString("echo:").concat(line).concat(ByteString.fromString("\n")));
  }

  /** Answers the first line, then completes: the server closes the connection. */
  private static Flow<ByteString, ByteString, NotUsed> answerOneLineThenClose() {
    return lineEcho().take(1);
  }

  /** Echoes exactly {@code n} bytes, then completes. */
  private static Flow<ByteString, ByteString, NotUsed> echoBytesThenClose(int n) {
    return Flow.<ByteString>create()
        .statefulMap(() -> new int[] {0}, (seen, b) -> {
          ByteString keep = b.take(n - seen[0]);
          seen[0] += keep.length();
          return Pair.create(seen, Pair.create(keep, seen[0] >= n));
        }, seen -> Optional.empty())
        .takeWhile(p -> !p.second(), true)
        .map(Pair::first);
  }

  private TcpTlsServer server(Supplier<Flow<ByteString, ByteString, ?>> app) throws Exception {
    return new TcpTlsServer(system, tls::serverEngine, pool, app);
  }

  private List<String> sClient(int port, String... extra) {
    List<String> args = new ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port, "-servername", TlsFixtures.HOST,
        "-verify_hostname", TlsFixtures.HOST, "-verify_return_error", "-CAfile", tls.pki.rootCertFile().toString()));
    args.addAll(List.of(extra));
    return args;
  }

  @ParameterizedTest
  @ValueSource(strings = {"cache", "tickets"})
  void sClientResumesItsTls13SessionOnItsNextConnectionFromTheCacheOrFromItsTicket(String mode) throws Exception {
    ServerTls resuming = ServerTls.create(tls.identity, List.of("TLSv1.3", "TLSv1.2"),
        new SessionResumption(mode.equals("tickets"), 50, Duration.ofMinutes(5)));
    try (TcpTlsServer server = new TcpTlsServer(system, resuming::newServerEngine, pool, TlsFlowOpenSslTest::answerOneLineThenClose)) {
      Path session = dir.resolve("session-" + mode + ".pem");
      byte[] hello = "hello\n".getBytes(StandardCharsets.UTF_8);
      // The ticket comes after the handshake, before the answer: s_client has it when the server closes.
      OpenSsl.Result first = OpenSsl.run(hello, sClient(server.port(), "-tls1_3", "-ign_eof", "-sess_out", session.toString())
          .toArray(String[]::new));
      OpenSsl.Result second = OpenSsl.run(hello, sClient(server.port(), "-tls1_3", "-ign_eof", "-sess_in", session.toString())
          .toArray(String[]::new));

      assertThat(first.output()).as(first.output()).contains("New, TLSv1.3", "echo:hello");
      assertThat(second.output()).as(second.output()).contains("Reused, TLSv1.3", "echo:hello");
      javax.net.ssl.SSLSessionContext kept = resuming.context().getServerSessionContext();
      if (mode.equals("cache")) {
        assertThat(java.util.Collections.list(kept.getIds())).as("the gateway keeps the session").isNotEmpty();
        assertThat(kept.getSessionCacheSize()).isEqualTo(50);
        assertThat(kept.getSessionTimeout()).isEqualTo(300);
      } else {
        assertThat(java.util.Collections.list(kept.getIds())).as("the client holds the session").isEmpty();
      }
    }
    assertThat(System.getProperty("jdk.tls.server.enableSessionTicketExtension")).as("the JVM's own setting is left as it was").isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void sClientVerifiesTheServerAndExchangesDataAndTheServerClosesAfterItsAnswer(String protocol) throws Exception {
    try (TcpTlsServer server = server(TlsFlowOpenSslTest::answerOneLineThenClose)) {
      String flag = protocol.equals("TLSv1.3") ? "-tls1_3" : "-tls1_2";
      OpenSsl.Result r = OpenSsl.run("hello\n".getBytes(StandardCharsets.UTF_8),
          sClient(server.port(), flag, "-ign_eof").toArray(String[]::new));

      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output()).contains("Verify return code: 0 (ok)", "echo:hello", "Protocol  : " + protocol);
      assertThat(server.sessions).singleElement().satisfies(s -> assertThat(s.getProtocol()).isEqualTo(protocol));
      assertThat(server.nextEnding().failure()).isNull();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void sClientsCertificateReachesTheSessionAsThePeerChain(String protocol) throws Exception {
    CertifiedKey device = tls.pki.device("device-7");
    Path[] files = TestPki.write(device, dir.resolve("device-7-" + protocol + ".pem"), dir.resolve("device-7-" + protocol + ".key"));
    try (TcpTlsServer server = server(TlsFlowOpenSslTest::answerOneLineThenClose)) {
      String flag = protocol.equals("TLSv1.3") ? "-tls1_3" : "-tls1_2";
      OpenSsl.Result r = OpenSsl.run("hello\n".getBytes(StandardCharsets.UTF_8), sClient(server.port(), flag, "-ign_eof",
          "-cert", files[0].toString(), "-key", files[1].toString()).toArray(String[]::new));

      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output()).contains("echo:hello");
      assertThat(server.sessions).hasSize(1);
      assertThat(server.sessions.get(0).getPeerCertificates()[0]).isEqualTo(device.certificate());
    }
  }

  @Test
  void aMegabyteSentBySClientComesBackWhole() throws Exception {
    byte[] random = new byte[768 * 1024];
    new Random(5).nextBytes(random);
    byte[] payload = Base64.getMimeEncoder().encode(random); // printable lines, about a megabyte
    try (TcpTlsServer server = server(() -> echoBytesThenClose(payload.length))) {
      OpenSsl.Result r = OpenSsl.run(payload, sClient(server.port(), "-tls1_3", "-ign_eof").toArray(String[]::new));

      assertThat(r.exitCode()).as("exit code").isZero();
      assertThat(r.output()).contains(new String(payload, StandardCharsets.ISO_8859_1));
    }
  }

  @Test
  void aTls13KeyUpdateRequestedBySClientIsAnsweredAndTrafficGoesOn() throws Exception {
    try (TcpTlsServer server = server(TlsFlowOpenSslTest::lineEcho);
        OpenSsl.Interactive c = OpenSsl.start(sClient(server.port(), "-tls1_3").toArray(String[]::new))) {
      c.send("before\n");
      c.awaitOutput("echo:before", WAIT);

      c.send("K\n"); // a KeyUpdate asking for one back
      c.awaitOutput("KEYUPDATE", WAIT);
      c.send("after\n");
      c.awaitOutput("echo:after", WAIT);
      c.closeInput(); // s_client sends close_notify and leaves

      OpenSsl.Result r = c.awaitExit(WAIT);
      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(server.nextEnding().failure()).isNull();
    }
  }

  @Test
  void aTls12RenegotiationRequestedBySClientCompletesAndTrafficGoesOn() throws Exception {
    try (TcpTlsServer server = server(TlsFlowOpenSslTest::lineEcho);
        OpenSsl.Interactive c = OpenSsl.start(sClient(server.port(), "-tls1_2").toArray(String[]::new))) {
      c.send("before\n");
      c.awaitOutput("echo:before", WAIT);

      c.send("R\n");
      c.awaitOutput("RENEGOTIATING", WAIT);
      c.send("after\n");
      c.awaitOutput("echo:after", WAIT);
      c.closeInput();

      assertThat(c.awaitExit(WAIT).exitCode()).isZero();
      assertThat(server.sessions).hasSize(1);
    }
  }

  @Test
  void tls11IsRefusedWithAProtocolVersionAlertAndOneLine() throws Exception {
    try (TcpTlsServer server = server(TlsFlowOpenSslTest::lineEcho)) {
      OpenSsl.Result r = OpenSsl.run(sClient(server.port(), "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0").toArray(String[]::new));

      assertThat(r.exitCode()).as(r.output()).isNotZero();
      assertThat(r.output()).contains("alert protocol version");
      Throwable failure = server.nextEnding().failure();
      assertThat(failure).isInstanceOf(SSLHandshakeException.class);
      assertThat(failure.getMessage()).contains("TLSv1.1").doesNotContain("\n");
    }
  }

  @Test
  void aClientWithoutACertificateIsRefusedByAServerThatNeedsOne() throws Exception {
    try (TcpTlsServer server = new TcpTlsServer(system, tls::serverEngineNeedingClientAuth, pool, TlsFlowOpenSslTest::lineEcho)) {
      OpenSsl.Result r = OpenSsl.run("hello\n".getBytes(StandardCharsets.UTF_8),
          sClient(server.port(), "-tls1_2", "-ign_eof").toArray(String[]::new));

      assertThat(r.exitCode()).as(r.output()).isNotZero();
      assertThat(r.output()).contains("alert").doesNotContain("echo:hello");
      Throwable failure = server.nextEnding().failure();
      assertThat(failure).isInstanceOf(SSLHandshakeException.class);
      assertThat(failure.getMessage()).isNotBlank().doesNotContain("\n");
    }
  }

  @Test
  void plaintextSentToTheTlsPortIsRefusedWithOneLineAndTheSocketIsClosed() throws Exception {
    try (TcpTlsServer server = server(TlsFlowOpenSslTest::lineEcho); Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      byte[] connect = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, 'd', 'e', 'v', '1'};
      s.getOutputStream().write(connect);

      readUntilClosed(s.getInputStream()); // fails on the socket timeout if the server keeps it open
      Throwable failure = server.nextEnding().failure();
      assertThat(failure).isInstanceOf(SSLException.class).hasMessage("Unrecognized SSL message, plaintext connection?");
    }
  }

  @Test
  void aJdkSocketReadsTheServersLastBytesThenCloseNotifyWithoutSendingItsOwn() throws Exception {
    try (TcpTlsServer server = server(TlsFlowOpenSslTest::answerOneLineThenClose);
        SSLSocket s = (SSLSocket) tls.clientContext(null).getSocketFactory().createSocket("127.0.0.1", server.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));

      byte[] got = readUntilClosed(s.getInputStream());

      assertThat(new String(got, StandardCharsets.UTF_8)).isEqualTo("echo:hi\n");
    }
  }

  /** Reads until the end of the stream (close_notify for TLS), failing on the socket's timeout. */
  private static byte[] readUntilClosed(InputStream in) throws Exception {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) != -1) {
        got.write(buf, 0, n);
      }
    } catch (java.net.SocketTimeoutException e) {
      throw new AssertionError("the server did not close within the socket timeout", e);
    } catch (java.net.SocketException e) {
      // a reset also ends it
    }
    return got.toByteArray();
  }
}

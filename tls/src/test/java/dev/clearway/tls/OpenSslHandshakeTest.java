package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OpenSSL's s_client, a client no one here wrote, judges the handshake our identity offers. */
class OpenSslHandshakeTest {
  private static final String HOST = "gateway.example.test";
  @TempDir Path dir;
  private TestPki pki;
  private ServerTls tls;

  @BeforeEach
  void identity() {
    pki = TestPki.create(dir.resolve("pki"));
    ServerIdentity id = ServerIdentity.issue(pki.edgeCa("edge"), new ServerIdentity.Options(HOST, List.of(), KeyType.EC_P256,
        Duration.ofDays(90), Duration.ofDays(30), Duration.ofDays(3)), Clock.systemUTC());
    tls = ServerTls.create(id, List.of("TLSv1.3", "TLSv1.2"));
  }

  private OpenSsl.Result sClient(int port, Path caFile, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port,
        "-servername", HOST, "-verify_hostname", HOST, "-verify_return_error", "-CAfile", caFile.toString()));
    args.addAll(List.of(extra));
    return OpenSsl.run(args.toArray(String[]::new));
  }

  @Test
  void sClientAcceptsTheGatewayForItsHostnameWithTheRightRoot() throws Exception {
    try (ServerIdentityTest.EchoServer server = new ServerIdentityTest.EchoServer(tls)) {
      OpenSsl.Result r = sClient(server.port(), pki.rootCertFile());

      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output()).contains("Verify return code: 0 (ok)");
    }
  }

  @Test
  void sClientRefusesTheGatewayWhenItTrustsAnotherRoot() throws Exception {
    TestPki other = TestPki.create(dir.resolve("other"));
    try (ServerIdentityTest.EchoServer server = new ServerIdentityTest.EchoServer(tls)) {
      OpenSsl.Result r = sClient(server.port(), other.rootCertFile());

      assertThat(r.exitCode()).as(r.output()).isNotZero();
      assertThat(r.output()).contains("certificate verify failed").doesNotContain("Verify return code: 0 (ok)");
    }
  }

  @Test
  void sClientRefusesTheGatewayUnderAnotherHostname() throws Exception {
    try (ServerIdentityTest.EchoServer server = new ServerIdentityTest.EchoServer(tls)) {
      OpenSsl.Result r = OpenSsl.run("s_client", "-connect", "127.0.0.1:" + server.port(), "-verify_hostname",
          "impostor.example.test", "-verify_return_error", "-CAfile", pki.rootCertFile().toString());

      assertThat(r.exitCode()).as(r.output()).isNotZero();
      assertThat(r.output()).contains("hostname mismatch");
    }
  }

  @Test
  void tls12IsAcceptedAndTls11IsNot() throws Exception {
    try (ServerIdentityTest.EchoServer server = new ServerIdentityTest.EchoServer(tls)) {
      OpenSsl.Result tls12 = sClient(server.port(), pki.rootCertFile(), "-tls1_2");
      OpenSsl.Result tls11 = sClient(server.port(), pki.rootCertFile(), "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");

      assertThat(tls12.exitCode()).as(tls12.output()).isZero();
      assertThat(tls12.output()).contains("Protocol  : TLSv1.2");
      assertThat(tls11.exitCode()).as(tls11.output()).isNotZero();
    }
  }
}

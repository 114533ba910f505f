package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerIdentityTest {
  @TempDir Path dir;
  private TestPki pki;
  private CertifiedKey edgeCa;

  @BeforeEach
  void pki() {
    pki = TestPki.create(dir.resolve("pki"));
    edgeCa = pki.edgeCa("edge-ca-1");
  }

  private static ServerIdentity.Options options(Duration validity, Duration renewBefore) {
    return new ServerIdentity.Options("gw.example.test", List.of("10.1.2.3", "alias.example.test"), KeyType.EC_P256,
        Duration.ofDays(90), validity, renewBefore);
  }

  @Test
  void theServerChainIsServerThenWorkloadCaThenTheEdgeCaChain() {
    ServerIdentity id = ServerIdentity.issue(edgeCa, options(Duration.ofDays(30), Duration.ofDays(3)), new MutableClock(Instant.now()));
    List<X509Certificate> chain = id.current().chain();

    assertThat(chain).hasSize(5); // server, workload, edge, intermediate, root
    assertThat(CertificateCheck.commonName(chain.get(0))).contains("gw.example.test");
    assertThat(CertificateCheck.commonName(chain.get(1)).orElseThrow()).startsWith("Clearway Workload CA");
    assertThat(chain.get(2)).isEqualTo(edgeCa.certificate());
    for (int i = 0; i + 1 < chain.size(); i++) {
      assertThat(CertificateCheck.signedBy(chain.get(i), chain.get(i + 1))).as("cert %d signed by %d", i, i + 1).isTrue();
    }
  }

  @Test
  void opensslVerifiesTheServerCertificateForTheHostnameAndShowsItsExtensions() throws Exception {
    ServerIdentity id = ServerIdentity.issue(edgeCa, options(Duration.ofDays(30), Duration.ofDays(3)), new MutableClock(Instant.now()));
    Path chain = TestPki.write(id.current().chain(), dir.resolve("server-chain.pem"));

    OpenSsl.Result verify = OpenSsl.run("verify", "-purpose", "sslserver", "-verify_hostname", "gw.example.test",
        "-CAfile", pki.rootCertFile().toString(), "-untrusted", chain.toString(), chain.toString());
    OpenSsl.Result wrongHost = OpenSsl.run("verify", "-verify_hostname", "other.example.test",
        "-CAfile", pki.rootCertFile().toString(), "-untrusted", chain.toString(), chain.toString());
    String text = OpenSsl.run("x509", "-noout", "-text", "-in", chain.toString()).output();

    assertThat(verify.ok()).as(verify.output()).isTrue();
    assertThat(wrongHost.ok()).isFalse();
    assertThat(text).contains("DNS:gw.example.test", "DNS:localhost", "IP Address:127.0.0.1", "IP Address:10.1.2.3",
        "DNS:alias.example.test", "TLS Web Server Authentication", "CA:FALSE", "prime256v1");
  }

  @Test
  void theWorkloadCaAllowsOnlyLeafCertificatesBelowIt() {
    ServerIdentity id = ServerIdentity.issue(edgeCa, options(Duration.ofDays(30), Duration.ofDays(3)), new MutableClock(Instant.now()));

    assertThat(id.current().chain().get(1).getBasicConstraints()).isZero();
  }

  @Test
  void renewalReissuesOnlyOnceTheThresholdIsReached() {
    MutableClock clock = new MutableClock(Instant.now());
    ServerIdentity id = ServerIdentity.issue(edgeCa, options(Duration.ofHours(2), Duration.ofMinutes(30)), clock);
    BigInteger first = id.current().certificate().getSerialNumber();

    clock.advance(Duration.ofMinutes(80)); // 40 min left of 2 h: not yet due
    boolean early = id.renewIfDue();
    clock.advance(Duration.ofMinutes(15)); // 25 min left: due
    boolean due = id.renewIfDue();

    assertThat(early).isFalse();
    assertThat(due).isTrue();
    X509Certificate renewed = id.current().certificate();
    assertThat(renewed.getSerialNumber()).isNotEqualTo(first);
    assertThat(renewed.getNotAfter().toInstant()).isAfter(clock.instant().plus(Duration.ofMinutes(110)));
    assertThat(id.renewIfDue()).as("a fresh certificate is not renewed again").isFalse();
  }

  @Test
  void renewalStopsAtTheEdgeCasExpiryInsteadOfChurning() {
    Instant now = Instant.now();
    CertifiedKey shortEdge = CertificateIssuer.issueCa(pki.intermediate(), "CN=short-edge", KeyType.EC_P256,
        now.minusSeconds(60), now.plus(Duration.ofHours(1)), 1);
    MutableClock clock = new MutableClock(now);
    ServerIdentity id = ServerIdentity.issue(shortEdge, options(Duration.ofHours(4), Duration.ofMinutes(30)), clock);

    clock.advance(Duration.ofMinutes(45));

    assertThat(id.current().certificate().getNotAfter()).isEqualTo(shortEdge.certificate().getNotAfter());
    assertThat(id.renewIfDue()).isFalse();
  }

  @Test
  void newHandshakesGetTheRenewedCertificateWhileALiveConnectionKeepsWorking() throws Exception {
    // Start the gateway's clock in the past so that, once advanced, it agrees with the client's.
    MutableClock clock = new MutableClock(Instant.now().minus(Duration.ofMinutes(100)));
    ServerIdentity id = ServerIdentity.issue(edgeCa, options(Duration.ofHours(2), Duration.ofMinutes(30)), clock);
    ServerTls tls = ServerTls.create(id, List.of("TLSv1.3", "TLSv1.2"));
    try (EchoServer server = new EchoServer(tls)) {
      SSLContext client = clientTrusting(pki.root().certificate());
      try (SSLSocket live = connect(client, server.port())) {
        BigInteger before = peerSerial(live);
        assertThat(echo(live, "before")).isEqualTo("before");

        clock.advance(Duration.ofMinutes(100));
        assertThat(id.renewIfDue()).isTrue();

        assertThat(echo(live, "after")).as("the live connection survives renewal").isEqualTo("after");
        try (SSLSocket fresh = connect(client, server.port())) {
          assertThat(peerSerial(fresh)).isEqualTo(id.current().certificate().getSerialNumber()).isNotEqualTo(before);
          assertThat(echo(fresh, "new")).isEqualTo("new");
        }
      }
    }
  }

  @Test
  void enginesOfferOnlyTls12And13AndAskForAClientCertificate() {
    ServerIdentity id = ServerIdentity.issue(edgeCa, options(Duration.ofDays(30), Duration.ofDays(3)), new MutableClock(Instant.now()));
    var engine = ServerTls.create(id, List.of("TLSv1.3", "TLSv1.2")).newServerEngine();

    assertThat(engine.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
    assertThat(engine.getWantClientAuth()).isTrue();
    assertThat(engine.getNeedClientAuth()).isFalse();
    assertThat(engine.getUseClientMode()).isFalse();
  }

  static SSLContext clientTrusting(X509Certificate root) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("root", root);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static SSLSocket connect(SSLContext ctx, int port) throws Exception {
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    s.setSoTimeout(10_000);
    var p = s.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS"); // check the SAN like a device does
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  private static BigInteger peerSerial(SSLSocket s) throws Exception {
    return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
  }

  private static String echo(SSLSocket s, String text) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write((text + "\n").getBytes());
    out.flush();
    InputStream in = s.getInputStream();
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      sb.append((char) c);
    }
    return sb.toString();
  }

  /**
   * A line-echo TLS server on an ephemeral loopback port. Like a real listener, it wraps each
   * accepted socket with the SSL context current at that moment.
   */
  static final class EchoServer implements AutoCloseable {
    private final ServerTls tls;
    private final java.net.ServerSocket socket;
    private final Thread acceptor;

    EchoServer(ServerTls tls) throws Exception {
      this.tls = tls;
      socket = new java.net.ServerSocket(0, 16, java.net.InetAddress.getLoopbackAddress());
      acceptor = new Thread(this::acceptLoop, "echo-acceptor");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void acceptLoop() {
      while (!socket.isClosed()) {
        try {
          java.net.Socket plain = socket.accept();
          SSLSocket s = (SSLSocket) tls.context().getSocketFactory().createSocket(plain, null, plain.getPort(), true);
          s.setUseClientMode(false);
          s.setSSLParameters(tls.parameters());
          Thread t = new Thread(() -> serve(s), "echo-conn");
          t.setDaemon(true);
          t.start();
        } catch (java.io.IOException e) {
          return; // closed
        }
      }
    }

    private static void serve(java.net.Socket s) {
      try (s) {
        s.getInputStream().transferTo(s.getOutputStream());
      } catch (java.io.IOException e) {
        // a client that fails verification aborts the handshake; nothing to echo
      }
    }

    @Override
    public void close() throws Exception {
      socket.close();
      acceptor.join(5_000);
    }
  }
}

package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewayTlsTest {
  @TempDir Path dir;

  private static TlsSettings settings(String hocon) {
    return TlsSettings.fromConfig(ConfigFactory.parseString("clearway.tls.hostname = gw.test\n" + hocon)
        .withFallback(ConfigFactory.defaultReference()).resolve());
  }

  @Test
  void quickstartCreatesTheDemoPkiUnderTheDataDirectoryAndReusesItOnRestart() throws Exception {
    Path data = dir.resolve("data");
    byte[] root;
    java.math.BigInteger firstServer;
    try (GatewayTls tls = GatewayTls.start(settings(""), data, Clock.systemUTC())) {
      root = Files.readAllBytes(data.resolve("certs/azure-iot-test-only.root.ca.cert.pem"));
      firstServer = tls.identity().current().certificate().getSerialNumber();
      assertThat(tls.trustBundle()).isEqualTo(DemoPki.rootCaCert(data));
      assertThat(DemoPki.edgeCaFullChain(data, GatewayTls.QUICKSTART_EDGE_CA)).exists();
    }
    try (GatewayTls again = GatewayTls.start(settings(""), data, Clock.systemUTC())) {
      assertThat(Files.readAllBytes(DemoPki.rootCaCert(data))).as("the root devices trust stays the same").isEqualTo(root);
      assertThat(again.identity().current().certificate().getSerialNumber()).isNotEqualTo(firstServer);
      // the served chain rolls up to the quickstart root, which openssl confirms
      Path chain = TestPki.write(again.identity().current().chain(), dir.resolve("served.pem"));
      OpenSsl.Result verify = OpenSsl.run("verify", "-verify_hostname", "gw.test", "-CAfile", DemoPki.rootCaCert(data).toString(),
          "-untrusted", chain.toString(), chain.toString());
      assertThat(verify.ok()).as(verify.output()).isTrue();
    }
  }

  @Test
  void aQuickstartEdgeCaAboutToExpireIsReissuedFromTheStoredIntermediate() throws Exception {
    Path data = dir.resolve("data");
    MutableClock clock = new MutableClock(Instant.now());
    GatewayTls.start(settings(""), data, clock).close();
    byte[] root = Files.readAllBytes(DemoPki.rootCaCert(data));
    Instant firstExpiry = Pem.readCertificates(DemoPki.edgeCaFullChain(data, GatewayTls.QUICKSTART_EDGE_CA)).get(0).getNotAfter().toInstant();

    // 70 days on, the 90-day quickstart edge CA has less than 30 days left.
    clock.advance(Duration.ofDays(70));
    GatewayTls.ensureQuickstartPki(settings(""), data, clock);

    Instant newExpiry = Pem.readCertificates(DemoPki.edgeCaFullChain(data, GatewayTls.QUICKSTART_EDGE_CA)).get(0).getNotAfter().toInstant();
    assertThat(newExpiry).isAfter(firstExpiry.plus(Duration.ofDays(60)));
    assertThat(Files.readAllBytes(DemoPki.rootCaCert(data))).as("devices keep trusting the same root").isEqualTo(root);
  }

  @Test
  void aConfiguredEdgeCaThatFailsTheChecksStopsTheStartWithOneLinePerError() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TestPki other = TestPki.create(dir.resolve("other"));
    Instant now = Instant.now();
    CertifiedKey flat = CertificateIssuer.issueCa(pki.intermediate(), "CN=flat-edge", KeyType.EC_P256,
        now.minusSeconds(60), now.plus(Duration.ofDays(90)), 0);
    Path[] files = TestPki.write(flat, dir.resolve("edge.pem"), dir.resolve("edge.key.pem"));

    TlsSettings s = settings("clearway.tls { edge-ca.cert = \"file://" + files[0] + "\", edge-ca.pk = \"" + files[1]
        + "\", trust-bundle-cert = \"" + other.rootCertFile() + "\" }");

    assertThatThrownBy(() -> GatewayTls.start(s, dir.resolve("data"), Clock.systemUTC()))
        .isInstanceOfSatisfying(TlsStartupException.class, e -> assertThat(e.lines())
            .hasSize(2)
            .anySatisfy(l -> assertThat(l).contains("[edge-ca-path-length]"))
            .anySatisfy(l -> assertThat(l).contains("[trust-bundle]")));
  }

  @Test
  void aGoodConfiguredEdgeCaServesAChainToTheConfiguredRoot() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    Path[] files = TestPki.write(pki.edgeCa("plant-edge-ca"), dir.resolve("edge.pem"), dir.resolve("edge.key.pem"));
    TlsSettings s = settings("clearway.tls { edge-ca.cert = \"" + files[0] + "\", edge-ca.pk = \"" + files[1]
        + "\", trust-bundle-cert = \"" + pki.rootCertFile() + "\" }");

    try (GatewayTls tls = GatewayTls.start(s, dir.resolve("data"), Clock.systemUTC())) {
      assertThat(tls.identity().current().chain().get(2)).isEqualTo(Pem.readCertificates(files[0]).get(0));
      assertThat(tls.trustedRoots()).containsExactly(pki.root().certificate());
      assertThat(dir.resolve("data/certs")).as("no quickstart PKI when an edge CA is configured").doesNotExist();
    }
  }
}

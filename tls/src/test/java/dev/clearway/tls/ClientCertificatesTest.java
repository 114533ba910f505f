package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientCertificatesTest {
  @TempDir Path dir;

  @Test
  void aDeviceChainFromTheTrustedRootVerifies() {
    TestPki pki = TestPki.create(dir.resolve("pki"));

    assertThat(ClientCertificates.verifyChain(pki.device("d1").chain(), List.of(pki.root().certificate()), Instant.now())).isEmpty();
  }

  @Test
  void aDeviceChainWithoutTheRootVerifiesToo() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    List<java.security.cert.X509Certificate> chain = pki.device("d1").chain();

    assertThat(ClientCertificates.verifyChain(chain.subList(0, 2), List.of(pki.root().certificate()), Instant.now())).isEmpty();
  }

  @Test
  void aDeviceChainFromAnUntrustedRootIsRefused() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    TestPki other = TestPki.create(dir.resolve("other"));

    assertThat(ClientCertificates.verifyChain(pki.device("d1").chain(), List.of(other.root().certificate()), Instant.now()))
        .hasValueSatisfying(r -> assertThat(r).startsWith("the certificate chain does not verify against the trust bundle"));
  }

  @Test
  void aSelfSignedDeviceIsNotCaAuthenticated() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    Instant now = Instant.now();
    CertifiedKey self = CertificateIssuer.selfSignedClient("CN=d1", KeyType.EC_P256, now.minusSeconds(60), now.plus(Duration.ofDays(1)));

    assertThat(ClientCertificates.verifyChain(self.chain(), List.of(pki.root().certificate()), now)).isPresent();
  }

  @Test
  void anExpiredDeviceCertificateIsRefused() {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    CertifiedKey device = pki.device("d1");
    Instant later = Instant.now().plus(Duration.ofDays(31));

    assertThat(ClientCertificates.verifyChain(device.chain(), List.of(pki.root().certificate()), later)).isPresent();
    assertThat(ClientCertificates.checkValidity(device.certificate(), later))
        .hasValueSatisfying(r -> assertThat(r).startsWith("the client certificate expired at"));
    assertThat(ClientCertificates.checkValidity(device.certificate(), Instant.now())).isEmpty();
  }
}

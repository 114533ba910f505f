package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoPkiTest {
  private final Clock clock = Clock.systemUTC();
  @TempDir Path dir;

  @Test
  void rootCaCommandWritesTheIotEdgeFileNamesWithPrivateKeysClosedToOthers() throws Exception {
    DemoPki.Created created = DemoPki.createRootCa(dir, DemoPki.Options.defaults(), clock);

    assertThat(created.files()).allMatch(Files::exists);
    assertThat(dir.resolve("certs/azure-iot-test-only.root.ca.cert.pem")).exists();
    assertThat(dir.resolve("certs/azure-iot-test-only.intermediate.cert.pem")).exists();
    assertThat(dir.resolve("certs/azure-iot-test-only.intermediate-full-chain.cert.pem")).exists();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("private")))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DemoPki.rootCaKey(dir)))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DemoPki.intermediateKey(dir)))).isEqualTo("rw-------");
    assertThat(Pem.readCertificates(DemoPki.intermediateFullChain(dir))).hasSize(2);
  }

  @Test
  void opensslVerifiesTheIntermediateAndTheEdgeCaChain() throws Exception {
    DemoPki.createRootCa(dir, DemoPki.Options.defaults(), clock);
    DemoPki.createEdgeCa(dir, "gw1", DemoPki.Options.defaults(), clock);
    Path root = DemoPki.rootCaCert(dir);
    Path edge = DemoPki.edgeCaFullChain(dir, "gw1");

    OpenSsl.Result intermediate = OpenSsl.run("verify", "-CAfile", root.toString(), DemoPki.intermediateCert(dir).toString());
    // openssl verify checks the first certificate of the file; -untrusted supplies the rest of the chain.
    OpenSsl.Result edgeChain = OpenSsl.run("verify", "-CAfile", root.toString(), "-untrusted", edge.toString(), edge.toString());

    assertThat(intermediate.output()).contains(": OK");
    assertThat(edgeChain.ok()).as(edgeChain.output()).isTrue();
    assertThat(edgeChain.output()).contains(": OK");
    assertThat(Pem.readCertificates(edge)).hasSize(3);
  }

  @Test
  void edgeCaCarriesCaConstraintsThatOpensslShows() throws Exception {
    DemoPki.createRootCa(dir, DemoPki.Options.defaults(), clock);
    DemoPki.createEdgeCa(dir, "gw1", DemoPki.Options.defaults(), clock);

    String text = OpenSsl.run("x509", "-noout", "-text", "-in", DemoPki.edgeCaFullChain(dir, "gw1").toString()).output();

    assertThat(text).contains("Subject: CN = gw1", "CA:TRUE, pathlen:1", "Certificate Sign", "prime256v1");
  }

  @Test
  void caSignedDeviceCertificateHasTheIdAsCnAndVerifiesAsAClient() throws Exception {
    DemoPki.createRootCa(dir, DemoPki.Options.defaults(), clock);
    DemoPki.Created created = DemoPki.createDevice(dir, "sensor-7", false, DemoPki.Options.defaults(), clock);
    Path chain = DemoPki.deviceFullChain(dir, "sensor-7");

    OpenSsl.Result verify = OpenSsl.run("verify", "-purpose", "sslclient", "-CAfile", DemoPki.rootCaCert(dir).toString(),
        "-untrusted", chain.toString(), chain.toString());
    String subject = OpenSsl.run("x509", "-noout", "-subject", "-in", chain.toString()).output();

    assertThat(verify.ok()).as(verify.output()).isTrue();
    assertThat(subject).contains("CN = sensor-7");
    assertThat(created.thumbprints()).isEmpty();
    assertThat(Files.getPosixFilePermissions(DemoPki.deviceKey(dir, "sensor-7")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void selfSignedDeviceThumbprintsEqualOpensslFingerprints() throws Exception {
    DemoPki.Created created = DemoPki.createDevice(dir, "thumb-1", true, DemoPki.Options.defaults(), clock);
    Path cert = DemoPki.deviceFullChain(dir, "thumb-1");

    String sha256 = OpenSsl.run("x509", "-noout", "-fingerprint", "-sha256", "-in", cert.toString()).output();
    String sha1 = OpenSsl.run("x509", "-noout", "-fingerprint", "-sha1", "-in", cert.toString()).output();

    Thumbprints t = created.thumbprints().orElseThrow();
    assertThat(Thumbprints.normalise(sha256.substring(sha256.indexOf('=') + 1).trim())).isEqualTo(t.sha256());
    assertThat(Thumbprints.normalise(sha1.substring(sha1.indexOf('=') + 1).trim())).isEqualTo(t.sha1());
    assertThat(created.certificate().getIssuerX500Principal()).isEqualTo(created.certificate().getSubjectX500Principal());
  }

  @Test
  void existingFilesAreNeverOverwrittenWithoutForce() throws Exception {
    DemoPki.createRootCa(dir, DemoPki.Options.defaults(), clock);
    byte[] before = Files.readAllBytes(DemoPki.rootCaCert(dir));

    assertThatThrownBy(() -> DemoPki.createRootCa(dir, DemoPki.Options.defaults(), clock))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("azure-iot-test-only.root.ca.cert.pem already exists; use --force");
    assertThat(Files.readAllBytes(DemoPki.rootCaCert(dir))).isEqualTo(before);

    DemoPki.createRootCa(dir, new DemoPki.Options(KeyType.EC_P256, 365, "", true), clock);
    assertThat(Files.readAllBytes(DemoPki.rootCaCert(dir))).isNotEqualTo(before);
  }

  @Test
  void keyTypeValidityAndSubjectOptionsShapeTheCertificate() throws Exception {
    DemoPki.Options rsa = new DemoPki.Options(KeyType.RSA_2048, 10, "O=Contoso, C=US", false);
    DemoPki.createRootCa(dir, rsa, clock);

    X509Certificate root = Pem.readCertificates(DemoPki.rootCaCert(dir)).get(0);
    String text = OpenSsl.run("x509", "-noout", "-text", "-in", DemoPki.rootCaCert(dir).toString()).output();

    assertThat(text).contains("rsaEncryption", "Public-Key: (2048 bit)", "O = Contoso", "C = US");
    assertThat(Duration.between(Instant.now(), root.getNotAfter().toInstant()).toDays()).isBetween(9L, 10L);
  }

  @Test
  void edgeCaWithoutARootCaTellsWhichCommandToRunFirst() {
    assertThatThrownBy(() -> DemoPki.createEdgeCa(dir, "gw1", DemoPki.Options.defaults(), clock))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("run 'clearway certs create-root-ca");
  }

  @Test
  void deviceIdsThatAreNotIotHubIdsAreRefused() {
    assertThatThrownBy(() -> DemoPki.createDevice(dir, "../escape", true, DemoPki.Options.defaults(), clock))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("invalid device id '../escape'");
  }

  @Test
  void aMalformedSubjectIsRefusedBeforeAnyFileIsWritten() {
    DemoPki.Options bad = new DemoPki.Options(KeyType.EC_P256, 30, "no-equals-sign", false);
    assertThatThrownBy(() -> DemoPki.createDevice(dir, "d1", true, bad, clock))
        .isInstanceOf(PkiException.class)
        .hasMessageContaining("invalid subject 'no-equals-sign'");
    assertThat(dir.resolve("certs")).doesNotExist();
  }
}

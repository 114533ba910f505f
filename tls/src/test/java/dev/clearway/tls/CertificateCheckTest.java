package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per rule of {@link CertificateCheck}, each with the bad input that breaks it. */
class CertificateCheckTest {
  private final Clock clock = Clock.systemUTC();
  @TempDir Path dir;
  private TestPki pki;
  private Path edgeChain;
  private Path edgeKey;

  @BeforeEach
  void edgeCa() {
    pki = TestPki.create(dir.resolve("pki"));
    Path[] files = TestPki.write(pki.edgeCa("gateway-ca"), dir.resolve("edge.pem"), dir.resolve("edge.key.pem"));
    edgeChain = files[0];
    edgeKey = files[1];
  }

  private List<Finding> checkEdge(Path cert, Path key, Path bundle) {
    return CertificateCheck.run(new CertificateCheck.Request(cert, Optional.of(key), Optional.of(bundle), true,
        Optional.of("gateway.local")), clock);
  }

  /** Files of an edge CA under the test intermediate, valid from now+from to now+to, with a path length. */
  private Path[] edgeCaFiles(String cn, Duration from, Duration to, int pathLen) {
    Instant now = Instant.now();
    CertifiedKey ca = CertificateIssuer.issueCa(pki.intermediate(), "CN=" + cn, KeyType.EC_P256, now.plus(from), now.plus(to), pathLen);
    return TestPki.write(ca, dir.resolve(cn + ".pem"), dir.resolve(cn + ".key.pem"));
  }

  private static List<String> rules(List<Finding> findings) {
    return findings.stream().map(f -> f.severity() + " " + f.rule()).toList();
  }

  @Test
  void aGoodEdgeCaChainWithItsKeyAndRootHasNoFindings() {
    assertThat(checkEdge(edgeChain, edgeKey, pki.rootCertFile())).isEmpty();
  }

  @Test
  void corruptedPemIsAnError() throws Exception {
    String pem = Files.readString(edgeChain);
    int mid = pem.indexOf('\n', pem.indexOf("BEGIN")) + 20;
    Files.writeString(edgeChain, pem.substring(0, mid) + "@@@@" + pem.substring(mid + 4));

    List<Finding> findings = checkEdge(edgeChain, edgeKey, pki.rootCertFile());

    assertThat(rules(findings)).containsExactly("ERROR pem");
    assertThat(findings.get(0).problem()).contains("corrupted or truncated PEM");
  }

  @Test
  void truncatedPemIsAnError() throws Exception {
    byte[] pem = Files.readAllBytes(edgeChain);
    Files.write(edgeChain, java.util.Arrays.copyOf(pem, pem.length / 4));

    assertThat(rules(checkEdge(edgeChain, edgeKey, pki.rootCertFile()))).containsExactly("ERROR pem");
  }

  @Test
  void aKeyOfAnotherCertificateIsAnError() {
    Path otherKey = TestPki.write(pki.edgeCa("other"), dir.resolve("o.pem"), dir.resolve("o.key.pem"))[1];

    List<Finding> findings = checkEdge(edgeChain, otherKey, pki.rootCertFile());

    assertThat(rules(findings)).containsExactly("ERROR key-match");
    assertThat(findings.get(0).file()).isEqualTo(otherKey);
  }

  @Test
  void anExpiredCertificateIsAnError() {
    Path[] files = edgeCaFiles("old", Duration.ofDays(-40), Duration.ofDays(-1), 1);

    List<Finding> findings = checkEdge(files[0], files[1], pki.rootCertFile());

    assertThat(rules(findings)).containsExactly("ERROR expired");
    assertThat(findings.get(0).problem()).contains("certificate #1 (CN=old) expired at");
  }

  @Test
  void aCertificateNotYetValidIsAnError() {
    Path[] files = edgeCaFiles("future", Duration.ofDays(2), Duration.ofDays(100), 1);

    assertThat(rules(checkEdge(files[0], files[1], pki.rootCertFile()))).containsExactly("ERROR not-yet-valid");
  }

  @Test
  void aCertificateExpiringWithin30DaysIsOnlyAWarning() {
    Path[] files = edgeCaFiles("soon", Duration.ofDays(-1), Duration.ofDays(10), 1);

    List<Finding> findings = checkEdge(files[0], files[1], pki.rootCertFile());

    assertThat(rules(findings)).containsExactly("WARNING expiring-soon");
    assertThat(CertificateCheck.passes(findings)).isTrue();
  }

  @Test
  void anEdgeCaWithoutCaTrueIsAnError() {
    Path[] files = TestPki.write(pki.device("not-a-ca"), dir.resolve("d.pem"), dir.resolve("d.key"));

    assertThat(rules(checkEdge(files[0], files[1], pki.rootCertFile())))
        .contains("ERROR edge-ca-basic-constraints", "ERROR edge-ca-key-usage");
  }

  @Test
  void anEdgeCaWithoutKeyCertSignIsAnError() throws Exception {
    KeyPair keys = KeyType.EC_P256.generate();
    CertifiedKey issuer = pki.intermediate();
    Instant now = Instant.now();
    var b = new JcaX509v3CertificateBuilder(X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded()),
        BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(90))),
        new X500Name("CN=no-cert-sign"), keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(1));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.key())));
    List<X509Certificate> chain = new ArrayList<>(List.of(cert));
    chain.addAll(issuer.chain());
    Path[] files = TestPki.write(new CertifiedKey(chain, keys.getPrivate()), dir.resolve("n.pem"), dir.resolve("n.key"));

    assertThat(rules(checkEdge(files[0], files[1], pki.rootCertFile()))).containsExactly("ERROR edge-ca-key-usage");
  }

  @Test
  void anEdgeCaThatAllowsNoCaBelowItIsAnError() {
    Path[] files = edgeCaFiles("flat", Duration.ofMinutes(-1), Duration.ofDays(90), 0);

    List<Finding> findings = checkEdge(files[0], files[1], pki.rootCertFile());

    assertThat(rules(findings)).containsExactly("ERROR edge-ca-path-length");
    assertThat(findings.get(0).problem()).contains("pathlen:0");
  }

  @Test
  void anEdgeCaNamedLikeTheGatewayHostIsAnError() {
    Path[] files = TestPki.write(pki.edgeCa("Gateway.Local"), dir.resolve("h.pem"), dir.resolve("h.key"));

    assertThat(rules(checkEdge(files[0], files[1], pki.rootCertFile()))).containsExactly("ERROR edge-ca-common-name");
  }

  @Test
  void aChainOutOfOrderIsAnError() throws Exception {
    List<X509Certificate> chain = new ArrayList<>(Pem.readCertificates(edgeChain));
    java.util.Collections.swap(chain, 0, 1); // intermediate first, then the edge CA it signed
    TestPki.write(chain, edgeChain);

    List<Finding> findings = CertificateCheck.run(CertificateCheck.Request.of(edgeChain), clock);

    assertThat(rules(findings)).containsExactly("ERROR chain-order");
    assertThat(findings.get(0).problem()).contains("certificate #1 (CN=Azure_IoT_Hub_Intermediate_Cert_Test_Only) is not signed by the next one");
  }

  @Test
  void aChainToAnotherRootIsAnError() {
    TestPki other = TestPki.create(dir.resolve("other"));

    List<Finding> findings = checkEdge(edgeChain, edgeKey, other.rootCertFile());

    assertThat(rules(findings)).containsExactly("ERROR trust-bundle");
    assertThat(findings.get(0).problem()).contains("not in the trust bundle");
  }

  @Test
  void aChainWithoutItsRootStillRollsUpWhenTheBundleHoldsTheIssuer() throws Exception {
    List<X509Certificate> chain = Pem.readCertificates(edgeChain);
    TestPki.write(chain.subList(0, 2), edgeChain); // edge CA, intermediate; the root only in the bundle

    assertThat(checkEdge(edgeChain, edgeKey, pki.rootCertFile())).isEmpty();
  }

  @Test
  void aWorldReadableKeyIsAWarning() throws Exception {
    Files.setPosixFilePermissions(edgeKey, PosixFilePermissions.fromString("rw-r--r--"));

    List<Finding> findings = checkEdge(edgeChain, edgeKey, pki.rootCertFile());

    assertThat(rules(findings)).containsExactly("WARNING key-permissions");
    assertThat(findings.get(0).fix()).isEqualTo("chmod 600 " + edgeKey);
    assertThat(CertificateCheck.passes(findings)).isTrue();
  }

  @Test
  void aFindingIsOneLineNamingFileRuleProblemAndFix() {
    Path notPem = dir.resolve("notes.txt");
    TestPki.write(List.of(), notPem);

    List<Finding> findings = CertificateCheck.run(CertificateCheck.Request.of(notPem), clock);

    assertThat(findings).hasSize(1);
    assertThat(findings.get(0).toString())
        .startsWith(notPem + ": error [pem] no PEM certificate found")
        .contains(". Fix: ")
        .doesNotContain("\n");
  }

  @Test
  void anEncryptedKeyIsRefusedWithTheCommandThatDecryptsIt() throws Exception {
    Path encrypted = dir.resolve("enc.key.pem");
    OpenSsl.Result r = OpenSsl.run("pkcs8", "-topk8", "-in", edgeKey.toString(), "-out", encrypted.toString(),
        "-passout", "pass:secret");
    assertThat(r.ok()).as(r.output()).isTrue();

    List<Finding> findings = checkEdge(edgeChain, encrypted, pki.rootCertFile());

    assertThat(rules(findings)).containsExactly("ERROR pem");
    assertThat(findings.get(0).problem()).contains("encrypted");
  }

  @Test
  void aDerFileIsReportedAsNotPem() throws Exception {
    Path der = dir.resolve("edge.der");
    Files.write(der, Pem.readCertificates(edgeChain).get(0).getEncoded());

    List<Finding> findings = CertificateCheck.run(CertificateCheck.Request.of(der), clock);

    assertThat(rules(findings)).containsExactly("ERROR pem");
    assertThat(findings.get(0).problem()).contains("not a PEM file", "openssl x509 -inform der");
  }
}

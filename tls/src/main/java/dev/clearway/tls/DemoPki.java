package dev.clearway.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;

/**
 * The demo PKI, laid out with the file names of the IoT Edge "create test certificates" scripts so
 * that people who followed those docs recognise every file:
 *
 * <pre>
 * DIR/certs/azure-iot-test-only.root.ca.cert.pem                 root CA
 * DIR/certs/azure-iot-test-only.intermediate.cert.pem            intermediate CA (signed by the root)
 * DIR/certs/azure-iot-test-only.intermediate-full-chain.cert.pem intermediate, root
 * DIR/certs/iot-edge-device-ca-NAME-full-chain.cert.pem          edge CA, intermediate, root
 * DIR/certs/iot-device-ID-full-chain.cert.pem                    device, intermediate, root
 * DIR/private/*.key.pem                                          the keys (0600; the folder is 0700)
 * </pre>
 *
 * <p>Path lengths leave room for the chain the gateway builds at start: intermediate (2) → edge CA
 * (1) → workload CA (0) → server certificate. Nothing is overwritten unless {@code force} is set,
 * and every target is checked before the first file is written, so a refusal leaves no half-made set.
 * These certificates are for development and tests only, as their names say.
 */
public final class DemoPki {
  /** Subject of the demo root CA, as the IoT Edge scripts name it. */
  public static final String ROOT_SUBJECT = "CN=Azure_IoT_Hub_CA_Cert_Test_Only";
  /** Subject of the demo intermediate CA. */
  public static final String INTERMEDIATE_SUBJECT = "CN=Azure_IoT_Hub_Intermediate_Cert_Test_Only";

  // Back-date new certificates a little so a device whose clock runs slow still accepts them.
  private static final Duration BACKDATE = Duration.ofMinutes(5);

  private DemoPki() {}

  /**
   * How to make a certificate.
   *
   * @param keyType the new key's type
   * @param validityDays days from now until the certificate expires (clamped to its issuer's expiry)
   * @param extraSubject further subject attributes after the CN, such as {@code O=Contoso, C=US}; may be empty
   * @param force replace existing files
   */
  public record Options(KeyType keyType, int validityDays, String extraSubject, boolean force) {
    public Options {
      if (validityDays < 1) {
        throw new IllegalArgumentException("validity must be at least 1 day, was " + validityDays);
      }
      extraSubject = extraSubject == null ? "" : extraSubject.trim();
    }

    /** ECDSA P-256, one year, no extra subject attributes, no overwriting. */
    public static Options defaults() {
      return new Options(KeyType.EC_P256, 365, "", false);
    }
  }

  /**
   * What a command made.
   *
   * @param files every file written, certificates first
   * @param certificate the new certificate
   * @param thumbprints for a self-signed device certificate, its thumbprints; empty otherwise
   */
  public record Created(List<Path> files, X509Certificate certificate, Optional<Thumbprints> thumbprints) {}

  // --- file names --------------------------------------------------------------------------------

  public static Path rootCaCert(Path dir) {
    return dir.resolve("certs/azure-iot-test-only.root.ca.cert.pem");
  }

  public static Path rootCaKey(Path dir) {
    return dir.resolve("private/azure-iot-test-only.root.ca.key.pem");
  }

  public static Path intermediateCert(Path dir) {
    return dir.resolve("certs/azure-iot-test-only.intermediate.cert.pem");
  }

  public static Path intermediateFullChain(Path dir) {
    return dir.resolve("certs/azure-iot-test-only.intermediate-full-chain.cert.pem");
  }

  public static Path intermediateKey(Path dir) {
    return dir.resolve("private/azure-iot-test-only.intermediate.key.pem");
  }

  public static Path edgeCaFullChain(Path dir, String name) {
    return dir.resolve("certs/iot-edge-device-ca-" + name + "-full-chain.cert.pem");
  }

  public static Path edgeCaKey(Path dir, String name) {
    return dir.resolve("private/iot-edge-device-ca-" + name + ".key.pem");
  }

  public static Path deviceFullChain(Path dir, String id) {
    return dir.resolve("certs/iot-device-" + id + "-full-chain.cert.pem");
  }

  public static Path deviceKey(Path dir, String id) {
    return dir.resolve("private/iot-device-" + id + ".key.pem");
  }

  // --- commands ----------------------------------------------------------------------------------

  /** Creates the root CA and, signed by it, the intermediate CA. */
  public static Created createRootCa(Path dir, Options o, Clock clock) throws PkiException, IOException {
    List<Path> files = List.of(rootCaCert(dir), intermediateCert(dir), intermediateFullChain(dir),
        rootCaKey(dir), intermediateKey(dir));
    refuseExisting(files, o.force());
    Instant now = clock.instant();
    Instant notAfter = now.plus(Duration.ofDays(o.validityDays()));
    CertifiedKey root = CertificateIssuer.selfSignedCa(subject(ROOT_SUBJECT, o), o.keyType(), now.minus(BACKDATE), notAfter, null);
    CertifiedKey intermediate = CertificateIssuer.issueCa(root, subject(INTERMEDIATE_SUBJECT, o), o.keyType(),
        now.minus(BACKDATE), notAfter, 2);
    prepare(dir);
    Pem.writeCertificates(rootCaCert(dir), root.chain());
    Pem.writeCertificates(intermediateCert(dir), List.of(intermediate.certificate()));
    Pem.writeCertificates(intermediateFullChain(dir), intermediate.chain());
    Pem.writePrivateKey(rootCaKey(dir), root.key());
    Pem.writePrivateKey(intermediateKey(dir), intermediate.key());
    return new Created(files, root.certificate(), Optional.empty());
  }

  /** Creates an edge CA named {@code name}, signed by the intermediate CA in {@code dir}. */
  public static Created createEdgeCa(Path dir, String name, Options o, Clock clock) throws PkiException, IOException {
    checkId("edge CA name", name);
    List<Path> files = List.of(edgeCaFullChain(dir, name), edgeCaKey(dir, name));
    refuseExisting(files, o.force());
    CertifiedKey intermediate = loadIntermediate(dir);
    Instant now = clock.instant();
    CertifiedKey edge = CertificateIssuer.issueCa(intermediate, subject("CN=" + CertificateIssuer.escape(name), o),
        o.keyType(), now.minus(BACKDATE), now.plus(Duration.ofDays(o.validityDays())), 1);
    prepare(dir);
    Pem.writeCertificates(edgeCaFullChain(dir, name), edge.chain());
    Pem.writePrivateKey(edgeCaKey(dir, name), edge.key());
    return new Created(files, edge.certificate(), Optional.empty());
  }

  /**
   * Creates a device certificate with CN = {@code id}: signed by the intermediate CA (X.509 CA
   * authentication), or self-signed (X.509 thumbprint authentication; the thumbprints are returned).
   */
  public static Created createDevice(Path dir, String id, boolean selfSigned, Options o, Clock clock)
      throws PkiException, IOException {
    checkId("device id", id);
    List<Path> files = List.of(deviceFullChain(dir, id), deviceKey(dir, id));
    refuseExisting(files, o.force());
    Instant now = clock.instant();
    Instant notAfter = now.plus(Duration.ofDays(o.validityDays()));
    String subject = subject("CN=" + CertificateIssuer.escape(id), o);
    CertifiedKey device = selfSigned
        ? CertificateIssuer.selfSignedClient(subject, o.keyType(), now.minus(BACKDATE), notAfter)
        : CertificateIssuer.issueClient(loadIntermediate(dir), subject, o.keyType(), now.minus(BACKDATE), notAfter);
    prepare(dir);
    Pem.writeCertificates(deviceFullChain(dir, id), device.chain());
    Pem.writePrivateKey(deviceKey(dir, id), device.key());
    Optional<Thumbprints> thumbprints = selfSigned ? Optional.of(Thumbprints.of(device.certificate())) : Optional.empty();
    return new Created(files, device.certificate(), thumbprints);
  }

  /**
   * A TLS server certificate for a peer of a demo or test set-up (the demo's hub stand-in, say),
   * issued by the intermediate CA in {@code dir}, so clients that trust the demo root trust it. CN =
   * the first name; every name is a subject alternative name (an IP address SAN for IP literals).
   * ECDSA P-256; nothing is written to disk. Chain: server, intermediate, root.
   */
  public static CertifiedKey issueServer(Path dir, List<String> names, Duration validity, Clock clock) throws PkiException {
    Instant now = clock.instant();
    return issueServer(loadIntermediate(dir), names, KeyType.EC_P256, now.minus(BACKDATE), now.plus(validity));
  }

  /** A TLS server certificate for {@code names} (see {@link #issueServer(Path, List, Duration, Clock)}) under {@code issuer}. */
  static CertifiedKey issueServer(CertifiedKey issuer, List<String> names, KeyType keyType, Instant notBefore, Instant notAfter) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a server certificate needs at least one name");
    }
    List<GeneralName> sans = names.stream()
        .map(n -> new GeneralName(TlsSettings.isIpLiteral(n) ? GeneralName.iPAddress : GeneralName.dNSName, n))
        .toList();
    return CertificateIssuer.issueServer(issuer, names.get(0), sans, keyType, notBefore, notAfter);
  }

  /** The intermediate CA (certificate chain and key) that signs edge CAs and devices. */
  static CertifiedKey loadIntermediate(Path dir) throws PkiException {
    if (!Files.exists(intermediateFullChain(dir)) || !Files.exists(intermediateKey(dir))) {
      throw new PkiException("no intermediate CA in " + dir + " (expected " + intermediateFullChain(dir)
          + "); run 'clearway certs create-root-ca --dir " + dir + "' first");
    }
    try {
      return new CertifiedKey(Pem.readCertificates(intermediateFullChain(dir)), Pem.readPrivateKey(intermediateKey(dir)));
    } catch (PemException e) {
      throw new PkiException("cannot load the intermediate CA: " + e.getMessage(), e);
    }
  }

  private static String subject(String base, Options o) throws PkiException {
    String dn = o.extraSubject().isEmpty() ? base : base + ", " + o.extraSubject();
    try {
      new X500Name(dn);
    } catch (IllegalArgumentException e) {
      throw new PkiException("invalid subject '" + o.extraSubject() + "': expected attributes like 'O=Contoso, C=US' ("
          + e.getMessage() + ")", e);
    }
    return dn;
  }

  private static void checkId(String what, String id) throws PkiException {
    // IoT Hub ids never contain '/', so they are safe parts of file names.
    if (!IotHubIds.isValid(id)) {
      throw new PkiException("invalid " + what + " '" + id + "': " + IotHubIds.RULE);
    }
  }

  private static void refuseExisting(List<Path> files, boolean force) throws PkiException {
    if (force) {
      return;
    }
    for (Path f : files) {
      if (Files.exists(f)) {
        throw new PkiException(f + " already exists; use --force to replace it");
      }
    }
  }

  private static void prepare(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("certs"));
    Pem.createPrivateDirectory(dir.resolve("private"));
  }
}

package dev.clearway.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A throwaway PKI for tests, made with the same code as {@code clearway certs}: a root and an
 * intermediate CA in a directory, and helpers to issue what a test needs from them.
 */
public final class TestPki {
  private final Path dir;
  private final CertifiedKey root;
  private final CertifiedKey intermediate;

  private TestPki(Path dir, CertifiedKey root, CertifiedKey intermediate) {
    this.dir = dir;
    this.root = root;
    this.intermediate = intermediate;
  }

  /** Creates root and intermediate CA files under {@code dir} (the demo layout). */
  public static TestPki create(Path dir) {
    try {
      DemoPki.createRootCa(dir, DemoPki.Options.defaults(), Clock.systemUTC());
      CertifiedKey root = new CertifiedKey(Pem.readCertificates(DemoPki.rootCaCert(dir)), Pem.readPrivateKey(DemoPki.rootCaKey(dir)));
      return new TestPki(dir, root, DemoPki.loadIntermediate(dir));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (PkiException | PemException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path dir() {
    return dir;
  }

  public Path rootCertFile() {
    return DemoPki.rootCaCert(dir);
  }

  public CertifiedKey root() {
    return root;
  }

  public CertifiedKey intermediate() {
    return intermediate;
  }

  /** An edge CA under the intermediate, valid for a year. */
  public CertifiedKey edgeCa(String name) {
    Instant now = Instant.now();
    return CertificateIssuer.issueCa(intermediate, "CN=" + name, KeyType.EC_P256, now.minus(Duration.ofMinutes(5)),
        now.plus(Duration.ofDays(365)), 1);
  }

  /** A device certificate (CN = id) under the intermediate: chain device, intermediate, root. */
  public CertifiedKey device(String id) {
    Instant now = Instant.now();
    return CertificateIssuer.issueClient(intermediate, "CN=" + id, KeyType.EC_P256, now.minus(Duration.ofMinutes(5)),
        now.plus(Duration.ofDays(30)));
  }

  /**
   * A TLS server certificate (CN = first name) under the intermediate, valid for 30 days, with
   * every name as a subject alternative name: an IP address SAN for IP literals, else a DNS SAN.
   * Chain: server, intermediate, root.
   */
  public CertifiedKey tlsServer(String... names) {
    Instant now = Instant.now();
    return DemoPki.issueServer(intermediate, List.of(names), KeyType.EC_P256, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(30)));
  }

  /** Writes a certified key as a full-chain file and a key file; returns {chain, key}. */
  public static Path[] write(CertifiedKey key, Path certFile, Path keyFile) {
    try {
      Pem.writeCertificates(certFile, key.chain());
      Pem.writePrivateKey(keyFile, key.key());
      return new Path[] {certFile, keyFile};
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes certificates as PEM. */
  public static Path write(List<X509Certificate> certs, Path file) {
    try {
      Pem.writeCertificates(file, certs);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

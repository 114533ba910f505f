package dev.clearway.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Format checks for certificate files, run by {@code clearway certs check} and at every gateway
 * start. Each rule yields at most one finding per certificate; the result is the full list, so an
 * operator fixes everything in one pass.
 *
 * <p>Rules (the id in brackets appears in every finding):
 * <ul>
 *   <li>[pem] the files parse as PEM;
 *   <li>[chain-order] in a full-chain file the leaf comes first and each certificate is signed by the next;
 *   <li>[key-match] the key belongs to the first certificate; [key-permissions] the key file is not
 *       readable by group or others (warning);
 *   <li>[not-yet-valid], [expired] (errors), [expiring-soon] within 30 days (warning);
 *   <li>with {@code edgeCa}: [edge-ca-basic-constraints] CA:true, [edge-ca-key-usage] keyCertSign,
 *       [edge-ca-path-length] room for a workload CA and a server certificate below,
 *       [edge-ca-common-name] CN different from the gateway host name;
 *   <li>[trust-bundle] the chain rolls up to a certificate in the trust bundle.
 * </ul>
 */
public final class CertificateCheck {
  /** Certificates expiring within this window get a warning. */
  public static final Duration EXPIRY_WARNING = Duration.ofDays(30);
  // keyUsage bit 5 (RFC 5280 4.2.1.3).
  private static final int KEY_CERT_SIGN = 5;

  /**
   * What to check.
   *
   * @param cert the certificate or full-chain file
   * @param key the private key of the first certificate, if it is to be checked
   * @param trustBundle the certificates the chain must roll up to, if given
   * @param edgeCa whether the certificate is the gateway's edge CA (adds the CA rules)
   * @param hostname the gateway's host name, for the edge CA's CN rule
   */
  public record Request(Path cert, Optional<Path> key, Optional<Path> trustBundle, boolean edgeCa, Optional<String> hostname) {
    public static Request of(Path cert) {
      return new Request(cert, Optional.empty(), Optional.empty(), false, Optional.empty());
    }
  }

  private final Clock clock;
  private final List<Finding> findings = new ArrayList<>();

  private CertificateCheck(Clock clock) {
    this.clock = clock;
  }

  /** Runs every rule that applies and returns all findings, errors and warnings, in rule order. */
  public static List<Finding> run(Request request, Clock clock) {
    CertificateCheck check = new CertificateCheck(clock);
    check.check(request);
    return List.copyOf(check.findings);
  }

  /** True when none of the findings is an error. */
  public static boolean passes(List<Finding> findings) {
    return findings.stream().noneMatch(Finding::isError);
  }

  private void check(Request r) {
    List<X509Certificate> chain = readChain(r.cert());
    if (chain != null) {
      checkOrder(r.cert(), chain);
      checkValidity(r.cert(), chain);
      if (r.edgeCa()) {
        checkEdgeCa(r.cert(), chain.get(0), r.hostname());
      }
    }
    r.key().ifPresent(k -> checkKey(k, chain));
    if (chain != null) {
      r.trustBundle().ifPresent(b -> checkTrust(r.cert(), chain, b));
    }
  }

  private List<X509Certificate> readChain(Path file) {
    try {
      return Pem.readCertificates(file);
    } catch (PemException e) {
      error(file, "pem", e.problem(),
          "give a PEM file of -----BEGIN CERTIFICATE----- blocks, leaf first; re-export it if it was damaged in transit");
      return null;
    }
  }

  private void checkOrder(Path file, List<X509Certificate> chain) {
    for (int i = 0; i + 1 < chain.size(); i++) {
      X509Certificate cert = chain.get(i);
      X509Certificate next = chain.get(i + 1);
      if (!signedBy(cert, next)) {
        error(file, "chain-order", "certificate #" + (i + 1) + " (" + name(cert) + ") is not signed by the next one, #"
            + (i + 2) + " (" + name(next) + ")",
            "list the leaf first, then its issuer, then that issuer's issuer, up to the root");
        return; // one finding is enough: every later pair is suspect once the order is broken
      }
    }
  }

  private void checkValidity(Path file, List<X509Certificate> chain) {
    Instant now = clock.instant();
    for (int i = 0; i < chain.size(); i++) {
      X509Certificate c = chain.get(i);
      String which = "certificate #" + (i + 1) + " (" + name(c) + ")";
      Instant notBefore = c.getNotBefore().toInstant();
      Instant notAfter = c.getNotAfter().toInstant();
      if (now.isBefore(notBefore)) {
        error(file, "not-yet-valid", which + " is not valid before " + notBefore,
            "check this machine's clock, or issue a certificate whose validity starts now");
      } else if (now.isAfter(notAfter)) {
        error(file, "expired", which + " expired at " + notAfter, "issue a new certificate");
      } else if (now.plus(EXPIRY_WARNING).isAfter(notAfter)) {
        warning(file, "expiring-soon", which + " expires at " + notAfter + ", within " + EXPIRY_WARNING.toDays() + " days",
            "issue a new certificate before then");
      }
    }
  }

  private void checkEdgeCa(Path file, X509Certificate ca, Optional<String> hostname) {
    int pathLen = ca.getBasicConstraints(); // -1: not a CA; MAX_VALUE: no limit
    if (pathLen < 0) {
      error(file, "edge-ca-basic-constraints", name(ca) + " is not a CA (basicConstraints CA:true is missing)",
          "issue the edge CA with basicConstraints=critical,CA:true");
    } else if (pathLen < 1) {
      // The gateway issues a workload CA under the edge CA and the server certificate under that:
      // one more CA below the edge CA, so pathLen must be at least 1.
      error(file, "edge-ca-path-length", name(ca) + " has pathlen:" + pathLen + ", which leaves no room for the workload CA",
          "issue the edge CA with pathlen of at least 1, or without a pathlen");
    }
    boolean[] usage = ca.getKeyUsage();
    if (usage == null || usage.length <= KEY_CERT_SIGN || !usage[KEY_CERT_SIGN]) {
      error(file, "edge-ca-key-usage", name(ca) + " may not sign certificates (keyUsage keyCertSign is missing)",
          "issue the edge CA with keyUsage=critical,keyCertSign,cRLSign,digitalSignature");
    }
    Optional<String> cn = commonName(ca);
    if (hostname.isPresent() && cn.isPresent() && cn.get().equalsIgnoreCase(hostname.get())) {
      // Devices would see two certificates with the same name in one chain; the IoT Edge docs forbid it.
      error(file, "edge-ca-common-name", "the edge CA's CN '" + cn.get() + "' equals the gateway host name",
          "issue the edge CA with another CN (the host name belongs to the server certificate)");
    }
  }

  private void checkKey(Path keyFile, List<X509Certificate> chain) {
    PrivateKey key;
    try {
      key = Pem.readPrivateKey(keyFile);
    } catch (PemException e) {
      error(keyFile, "pem", e.problem(), "give an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)");
      return;
    }
    if (chain != null && !matches(key, chain.get(0).getPublicKey())) {
      error(keyFile, "key-match", "the key does not belong to " + name(chain.get(0)),
          "give the key that was created together with this certificate");
    }
    checkPermissions(keyFile);
  }

  private void checkPermissions(Path keyFile) {
    if (!Pem.posix()) {
      return;
    }
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(keyFile);
      if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
        warning(keyFile, "key-permissions", "the private key is readable by "
            + (p.contains(PosixFilePermission.OTHERS_READ) ? "everyone" : "its group"), "chmod 600 " + keyFile);
      }
    } catch (IOException e) {
      warning(keyFile, "key-permissions", "cannot read the file's permissions: " + e.getMessage(), "check the file is accessible");
    }
  }

  private void checkTrust(Path file, List<X509Certificate> chain, Path bundleFile) {
    List<X509Certificate> bundle;
    try {
      bundle = Pem.readCertificates(bundleFile);
    } catch (PemException e) {
      error(bundleFile, "pem", e.problem(), "give the trust bundle as PEM certificates");
      return;
    }
    X509Certificate top = chain.get(chain.size() - 1);
    boolean anchored = bundle.stream().anyMatch(b -> b.equals(top) || signedBy(top, b));
    if (!anchored) {
      error(file, "trust-bundle", "the chain ends at " + name(top) + ", issued by " + top.getIssuerX500Principal().getName()
          + ", which is not in the trust bundle " + bundleFile,
          "add the issuing root to the trust bundle, or use a certificate from the bundle's CA");
    }
  }

  /** Whether {@code cert} names {@code issuer} as its issuer and carries its valid signature. */
  static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
    if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return false;
    }
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Whether the private key belongs to the public key: sign a random challenge and verify it. */
  static boolean matches(PrivateKey key, PublicKey publicKey) {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      String alg = KeyType.signatureAlgorithmFor(key);
      Signature signer = Signature.getInstance(alg);
      signer.initSign(key);
      signer.update(challenge);
      byte[] sig = signer.sign();
      Signature verifier = Signature.getInstance(alg);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The CN of a certificate's subject, if it has one. */
  public static Optional<String> commonName(X509Certificate cert) {
    try {
      List<Rdn> rdns = new LdapName(cert.getSubjectX500Principal().getName()).getRdns();
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          return Optional.of(rdns.get(i).getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      // An unparseable subject simply has no CN we can read.
    }
    return Optional.empty();
  }

  private static String name(X509Certificate c) {
    return commonName(c).map(cn -> "CN=" + cn).orElse(c.getSubjectX500Principal().getName());
  }

  private void error(Path file, String rule, String problem, String fix) {
    findings.add(new Finding(Finding.Severity.ERROR, file, rule, problem, fix));
  }

  private void warning(Path file, String rule, String problem, String fix) {
    findings.add(new Finding(Finding.Severity.WARNING, file, rule, problem, fix));
  }
}

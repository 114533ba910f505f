package dev.clearway.tls;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Judges the certificate chain a device presented in its TLS handshake, for X.509 authentication.
 * The handshake accepted any chain (see {@link ServerTls}); these checks decide afterwards.
 */
public final class ClientCertificates {
  private ClientCertificates() {}

  /**
   * Verifies a CA-signed device chain (leaf first) against the trust bundle with PKIX: signatures,
   * validity at {@code now}, CA constraints. Revocation is not checked (the gateway works offline).
   *
   * @return empty when the chain rolls up to a trusted root, else the reason in one line
   */
  public static Optional<String> verifyChain(List<X509Certificate> chain, List<X509Certificate> trusted, Instant now) {
    if (chain.isEmpty()) {
      return Optional.of("no client certificate was presented");
    }
    if (trusted.isEmpty()) {
      return Optional.of("the gateway's trust bundle is empty");
    }
    Set<TrustAnchor> anchors = new HashSet<>();
    trusted.forEach(c -> anchors.add(new TrustAnchor(c, null)));
    // The path given to PKIX must not contain the anchor itself.
    List<X509Certificate> path = new ArrayList<>(chain);
    while (!path.isEmpty() && trusted.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    if (path.isEmpty()) {
      return Optional.of("the client presented a trusted root instead of a device certificate");
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX").validate(certPath, params);
      return Optional.empty();
    } catch (CertPathValidatorException e) {
      return Optional.of("the certificate chain does not verify against the trust bundle: " + reason(e));
    } catch (InvalidAlgorithmParameterException e) {
      return Optional.of("the trust bundle cannot be used: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      return Optional.of("the certificate chain cannot be read: " + e.getMessage());
    }
  }

  /** Whether the leaf is within its validity at {@code now}; empty if so, else the reason. */
  public static Optional<String> checkValidity(X509Certificate leaf, Instant now) {
    if (now.isBefore(leaf.getNotBefore().toInstant())) {
      return Optional.of("the client certificate is not valid before " + leaf.getNotBefore().toInstant());
    }
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      return Optional.of("the client certificate expired at " + leaf.getNotAfter().toInstant());
    }
    return Optional.empty();
  }

  private static String reason(CertPathValidatorException e) {
    String m = e.getMessage() == null ? e.getReason().toString() : e.getMessage();
    return m.replace('\n', ' ');
  }
}

package dev.clearway.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate chain and the private key of its first certificate.
 *
 * @param chain the certificate first, then each issuer up to (and including) the root when known
 * @param key the private key that matches {@code chain.get(0)}
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key) {
  public CertifiedKey {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a certified key needs at least one certificate");
    }
    chain = List.copyOf(chain);
  }

  /** The certificate the key belongs to. */
  public X509Certificate certificate() {
    return chain.get(0);
  }
}

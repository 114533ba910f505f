package dev.clearway.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * A certificate's SHA-256 and SHA-1 thumbprints over its DER encoding, as upper-case hex without
 * separators — the form the Azure portal and IoT Hub's registry use for self-signed devices.
 */
public record Thumbprints(String sha256, String sha1) {

  public static Thumbprints of(X509Certificate cert) {
    try {
      byte[] der = cert.getEncoded();
      return new Thumbprints(hex("SHA-256", der), hex("SHA-1", der));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
    }
  }

  /** Normalises a thumbprint someone typed: drops colons and spaces, upper-cases. */
  public static String normalise(String thumbprint) {
    return thumbprint.replace(":", "").replace(" ", "").toUpperCase(java.util.Locale.ROOT);
  }

  private static String hex(String algorithm, byte[] der) {
    try {
      return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance(algorithm).digest(der));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is required by every Java runtime", e);
    }
  }
}

package dev.clearway.actors.identity;

import java.security.SecureRandom;
import dev.clearway.tls.Thumbprints;
import java.util.Base64;
import java.util.Optional;

/** How an identity proves itself: a symmetric key pair, X.509 thumbprints, or a CA-signed X.509 certificate. */
public sealed interface Credentials {

  /** The name used in the registry file and on the command line. */
  String type();

  /**
   * Symmetric keys (base64), for SAS tokens. Either key signs a valid token, so one can be rolled
   * while devices still use the other.
   */
  record SymmetricKey(String primaryKey, String secondaryKey) implements Credentials {
    public SymmetricKey {
      requireBase64(primaryKey, "primary key");
      requireBase64(secondaryKey, "secondary key");
    }

    /** Two fresh 256-bit keys, as IoT Hub generates them. */
    public static SymmetricKey generate() {
      SecureRandom random = new SecureRandom();
      byte[] a = new byte[32];
      byte[] b = new byte[32];
      random.nextBytes(a);
      random.nextBytes(b);
      return new SymmetricKey(Base64.getEncoder().encodeToString(a), Base64.getEncoder().encodeToString(b));
    }

    @Override
    public String type() {
      return "sas";
    }

    @Override
    public String toString() {
      return "SymmetricKey[keys hidden]"; // never log secrets
    }
  }

  /** Self-signed X.509: the certificate's SHA-256 or SHA-1 thumbprint must equal one of these. */
  record X509Thumbprint(String primary, Optional<String> secondary) implements Credentials {
    public X509Thumbprint {
      primary = normalise(primary);
      secondary = secondary.map(X509Thumbprint::normalise);
    }

    @Override
    public String type() {
      return "x509-thumbprint";
    }

    public boolean matches(String sha256, String sha1) {
      return primary.equals(sha256) || primary.equals(sha1)
          || secondary.map(s -> s.equals(sha256) || s.equals(sha1)).orElse(false);
    }

    private static String normalise(String thumbprint) {
      String t = Thumbprints.normalise(thumbprint);
      if (!t.matches("[0-9A-F]{40}|[0-9A-F]{64}")) {
        throw new IllegalArgumentException("a thumbprint is 40 (SHA-1) or 64 (SHA-256) hex digits, got '" + thumbprint + "'");
      }
      return t;
    }
  }

  /** CA-signed X.509: the chain must roll up to the gateway's trust bundle and the CN equal the device id. */
  record X509Ca() implements Credentials {
    @Override
    public String type() {
      return "x509-ca";
    }
  }

  /**
   * Checks a symmetric key: base64 of at least 16 bytes.
   *
   * @throws IllegalArgumentException naming {@code what} otherwise
   */
  public static void requireBase64(String key, String what) {
    try {
      if (Base64.getDecoder().decode(key).length < 16) {
        throw new IllegalArgumentException("the " + what + " must decode to at least 16 bytes");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the " + what + " is not valid base64 of at least 16 bytes", e);
    }
  }
}

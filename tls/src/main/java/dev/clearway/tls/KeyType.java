package dev.clearway.tls;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Locale;

/** The key types Clearway creates: ECDSA on P-256 (the default) and RSA 2048 or 4096. */
public enum KeyType {
  EC_P256("ec-p256", "SHA256withECDSA"),
  RSA_2048("rsa-2048", "SHA256withRSA"),
  RSA_4096("rsa-4096", "SHA256withRSA");

  private final String label;
  private final String signatureAlgorithm;

  KeyType(String label, String signatureAlgorithm) {
    this.label = label;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** The name used on the command line and in configuration: {@code ec-p256}, {@code rsa-2048}, {@code rsa-4096}. */
  public String label() {
    return label;
  }

  /** The JCA signature algorithm a key of this type signs certificates with. */
  String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  /** Parses a label (any case; {@code EC_P256} style names are accepted too). */
  public static KeyType parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (KeyType t : values()) {
      if (t.label.equals(wanted)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown key type '" + text + "' (expected ec-p256, rsa-2048 or rsa-4096)");
  }

  /** Generates a fresh key pair of this type. */
  public KeyPair generate() {
    try {
      if (this == EC_P256) {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
      }
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(this == RSA_2048 ? 2048 : 4096);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      // Both algorithms are mandatory in every Java 17 runtime.
      throw new IllegalStateException("the JDK cannot generate " + label + " keys", e);
    }
  }

  /** The signature algorithm matching an existing private key (used when a CA signs). */
  static String signatureAlgorithmFor(java.security.PrivateKey key) {
    return "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
  }

  @Override
  public String toString() {
    return label;
  }
}

package dev.clearway.tls;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues the certificates of Clearway's PKI with Bouncy Castle: CAs (root, intermediate, edge,
 * workload), TLS server certificates and device (client) certificates.
 *
 * <p>Every certificate gets a random 159-bit serial, subject and authority key identifiers, and a
 * validity clamped to its issuer's, so no certificate outlives the CA that vouches for it.
 */
final class CertificateIssuer {
  private static final SecureRandom RANDOM = new SecureRandom();

  private CertificateIssuer() {}

  /** A self-signed CA certificate (a root). {@code pathLen} null means unconstrained. */
  static CertifiedKey selfSignedCa(String subject, KeyType keyType, Instant notBefore, Instant notAfter, Integer pathLen) {
    KeyPair keys = keyType.generate();
    X500Name name = new X500Name(subject);
    X509v3CertificateBuilder b = builder(name, name, keys.getPublic(), notBefore, notAfter);
    caExtensions(b, keys.getPublic(), keys.getPublic(), pathLen);
    return new CertifiedKey(List.of(sign(b, keys.getPrivate())), keys.getPrivate());
  }

  /** A CA certificate signed by {@code issuer}; its chain continues with the issuer's. */
  static CertifiedKey issueCa(CertifiedKey issuer, String subject, KeyType keyType, Instant notBefore, Instant notAfter, Integer pathLen) {
    KeyPair keys = keyType.generate();
    X509v3CertificateBuilder b = builder(issuerName(issuer), new X500Name(subject), keys.getPublic(),
        notBefore, clamp(notAfter, issuer));
    caExtensions(b, keys.getPublic(), issuer.certificate().getPublicKey(), pathLen);
    return chained(issuer, sign(b, issuer.key()), keys);
  }

  /**
   * A TLS server certificate: CN = {@code commonName}, the given subject alternative names,
   * extended key usage serverAuth.
   */
  static CertifiedKey issueServer(CertifiedKey issuer, String commonName, List<GeneralName> sans, KeyType keyType,
      Instant notBefore, Instant notAfter) {
    KeyPair keys = keyType.generate();
    X509v3CertificateBuilder b = builder(issuerName(issuer), new X500Name("CN=" + escape(commonName)),
        keys.getPublic(), notBefore, clamp(notAfter, issuer));
    endEntityExtensions(b, keys.getPublic(), issuer.certificate().getPublicKey(), KeyPurposeId.id_kp_serverAuth);
    add(b, Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
    return chained(issuer, sign(b, issuer.key()), keys);
  }

  /** A device (TLS client) certificate signed by {@code issuer}. */
  static CertifiedKey issueClient(CertifiedKey issuer, String subject, KeyType keyType, Instant notBefore, Instant notAfter) {
    KeyPair keys = keyType.generate();
    X509v3CertificateBuilder b = builder(issuerName(issuer), new X500Name(subject), keys.getPublic(),
        notBefore, clamp(notAfter, issuer));
    endEntityExtensions(b, keys.getPublic(), issuer.certificate().getPublicKey(), KeyPurposeId.id_kp_clientAuth);
    return chained(issuer, sign(b, issuer.key()), keys);
  }

  /** A self-signed device certificate, authenticated by its thumbprint rather than a CA. */
  static CertifiedKey selfSignedClient(String subject, KeyType keyType, Instant notBefore, Instant notAfter) {
    KeyPair keys = keyType.generate();
    X500Name name = new X500Name(subject);
    X509v3CertificateBuilder b = builder(name, name, keys.getPublic(), notBefore, notAfter);
    endEntityExtensions(b, keys.getPublic(), keys.getPublic(), KeyPurposeId.id_kp_clientAuth);
    return new CertifiedKey(List.of(sign(b, keys.getPrivate())), keys.getPrivate());
  }

  /** Escapes the characters that are special in an RFC 4514 attribute value. */
  static String escape(String value) {
    StringBuilder sb = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (",+\"\\<>;=#".indexOf(c) >= 0) {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  private static CertifiedKey chained(CertifiedKey issuer, X509Certificate cert, KeyPair keys) {
    List<X509Certificate> chain = new ArrayList<>(issuer.chain().size() + 1);
    chain.add(cert);
    chain.addAll(issuer.chain());
    return new CertifiedKey(chain, keys.getPrivate());
  }

  private static X500Name issuerName(CertifiedKey issuer) {
    return X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
  }

  private static Instant clamp(Instant notAfter, CertifiedKey issuer) {
    Instant limit = issuer.certificate().getNotAfter().toInstant();
    return notAfter.isAfter(limit) ? limit : notAfter;
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey key,
      Instant notBefore, Instant notAfter) {
    // RFC 5280 4.1.2.2: a positive serial of at most 20 octets; 159 random bits stay within that.
    BigInteger serial = new BigInteger(159, RANDOM).setBit(0);
    return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(notBefore), Date.from(notAfter), subject, key);
  }

  private static void caExtensions(X509v3CertificateBuilder b, PublicKey subjectKey, PublicKey issuerKey, Integer pathLen) {
    add(b, Extension.basicConstraints, true, pathLen == null ? new BasicConstraints(true) : new BasicConstraints(pathLen));
    add(b, Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
    identifiers(b, subjectKey, issuerKey);
  }

  private static void endEntityExtensions(X509v3CertificateBuilder b, PublicKey subjectKey, PublicKey issuerKey, KeyPurposeId purpose) {
    add(b, Extension.basicConstraints, true, new BasicConstraints(false));
    // RSA key exchange in TLS 1.2 needs keyEncipherment; it is harmless for EC keys.
    add(b, Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    add(b, Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
    identifiers(b, subjectKey, issuerKey);
  }

  private static void identifiers(X509v3CertificateBuilder b, PublicKey subjectKey, PublicKey issuerKey) {
    try {
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      add(b, Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
      add(b, Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuerKey));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-1 is required for key identifiers", e);
    }
  }

  private static void add(X509v3CertificateBuilder b, org.bouncycastle.asn1.ASN1ObjectIdentifier oid, boolean critical,
      org.bouncycastle.asn1.ASN1Encodable value) {
    try {
      b.addExtension(oid, critical, value);
    } catch (CertIOException e) {
      throw new IllegalStateException("cannot encode extension " + oid, e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, java.security.PrivateKey issuerKey) {
    try {
      var signer = new JcaContentSignerBuilder(KeyType.signatureAlgorithmFor(issuerKey)).build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException | java.security.cert.CertificateException e) {
      throw new IllegalStateException("signing a certificate failed", e);
    }
  }
}

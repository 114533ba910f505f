package dev.clearway.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads and writes PEM files: certificate lists (a full-chain file is leaf first) and unencrypted
 * private keys (PKCS#8, or the traditional "EC/RSA PRIVATE KEY" forms OpenSSL writes).
 *
 * <p>Every read failure is a {@link PemException} naming the file and the problem; nothing else
 * escapes, so a corrupted or truncated file gets the same clear error as a missing one.
 */
public final class Pem {
  private static final Set<PosixFilePermission> KEY_FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

  private Pem() {}

  /** All certificates in a PEM file, in file order; at least one. */
  public static List<X509Certificate> readCertificates(Path file) throws PemException {
    List<X509Certificate> certs = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    for (Object o : readObjects(file)) {
      if (!(o instanceof X509CertificateHolder holder)) {
        throw new PemException(file, "expected only CERTIFICATE blocks, found " + describe(o));
      }
      try {
        certs.add(converter.getCertificate(holder));
      } catch (CertificateException e) {
        throw new PemException(file, "certificate #" + (certs.size() + 1) + " cannot be decoded: " + e.getMessage(), e);
      }
    }
    if (certs.isEmpty()) {
      throw new PemException(file, "no PEM certificate found (expected -----BEGIN CERTIFICATE-----)");
    }
    return certs;
  }

  /** The single unencrypted private key in a PEM file. */
  public static PrivateKey readPrivateKey(Path file) throws PemException {
    List<Object> objects = readObjects(file);
    if (objects.size() != 1) {
      throw new PemException(file, objects.isEmpty()
          ? "no PEM private key found (expected -----BEGIN PRIVATE KEY-----)"
          : "expected exactly one private key, found " + objects.size() + " PEM blocks");
    }
    Object o = objects.get(0);
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
    } catch (IOException e) {
      throw new PemException(file, "the private key cannot be decoded: " + e.getMessage(), e);
    }
    if (o instanceof PEMEncryptedKeyPair || o instanceof PKCS8EncryptedPrivateKeyInfo) {
      throw new PemException(file, "the private key is encrypted; give an unencrypted key (openssl pkey -in KEY -out KEY.pem)");
    }
    throw new PemException(file, "expected a PRIVATE KEY block, found " + describe(o));
  }

  /** Certificates as PEM text, in the given order. */
  public static String toPem(List<X509Certificate> certs) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (X509Certificate c : certs) {
        w.writeObject(c);
      }
    } catch (IOException e) {
      throw new IllegalStateException("writing PEM to memory failed", e); // StringWriter does not fail
    }
    return out.toString();
  }

  /** A private key as PKCS#8 PEM text ({@code -----BEGIN PRIVATE KEY-----}). */
  public static String toPem(PrivateKey key) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
    } catch (IOException e) {
      throw new IllegalStateException("writing PEM to memory failed", e);
    }
    return out.toString();
  }

  /** Writes certificates to {@code file} (mode 0644), replacing it atomically if it exists. */
  public static void writeCertificates(Path file, List<X509Certificate> certs) throws IOException {
    writeAtomically(file, toPem(certs), PUBLIC_FILE);
  }

  /**
   * Writes a private key to {@code file} with mode 0600, replacing it atomically if it exists. The
   * key is written to a temporary file that is never readable by others, then moved into place.
   */
  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    writeAtomically(file, toPem(key), KEY_FILE);
  }

  /** Creates {@code dir} (and parents) and restricts it to its owner (0700). */
  public static void createPrivateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (posix()) {
      Files.setPosixFilePermissions(dir, PRIVATE_DIR);
    }
  }

  private static void writeAtomically(Path file, String text, Set<PosixFilePermission> mode) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = posix()
        ? Files.createTempFile(dir, ".tmp-", ".pem", PosixFilePermissions.asFileAttribute(KEY_FILE))
        : Files.createTempFile(dir, ".tmp-", ".pem");
    try {
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.US_ASCII)) {
        w.write(text);
      }
      if (posix()) {
        Files.setPosixFilePermissions(tmp, mode);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  private static List<Object> readObjects(Path file) throws PemException {
    List<Object> objects = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
         PEMParser parser = new PEMParser(r)) {
      Object o;
      while ((o = parser.readObject()) != null) {
        objects.add(o);
      }
    } catch (NoSuchFileException e) {
      throw new PemException(file, "file not found", e);
    } catch (java.nio.charset.MalformedInputException e) {
      throw new PemException(file, "not a PEM file (it holds non-ASCII bytes; DER files must be converted: openssl x509 -inform der)", e);
    } catch (IOException | RuntimeException e) {
      // Bouncy Castle reports a missing END line as IOException and bad base64 as a
      // DecoderException (a RuntimeException); both mean a damaged file.
      throw new PemException(file, "corrupted or truncated PEM (" + rootMessage(e) + ")", e);
    }
    return objects;
  }

  private static String describe(Object o) {
    if (o instanceof PrivateKeyInfo || o instanceof PEMKeyPair) {
      return "a PRIVATE KEY";
    }
    if (o instanceof X509CertificateHolder) {
      return "a CERTIFICATE";
    }
    return "a " + o.getClass().getSimpleName().replace("Holder", "").replace("PEM", "") + " block";
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}

package dev.clearway.actors.hub;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The hub side of a SAS token, written apart from the gateway's own {@code dev.clearway.tls.SasToken}
 * on purpose: the stand-in checks the gateway's tokens with an independent implementation.
 */
final class SasVerifier {
  private static final String PREFIX = "SharedAccessSignature ";

  private SasVerifier() {}

  /**
   * A parsed token.
   *
   * @param encodedResource {@code sr} exactly as the token carries it: this text was signed
   * @param resource {@code sr} url-decoded
   */
  record Token(String encodedResource, String resource, String signature, String expiry, long expiresAt) {
    boolean expiredAt(Instant now) {
      return expiresAt <= now.getEpochSecond();
    }
  }

  /** A token that does not parse. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message);
    }
  }

  /** Parses {@code SharedAccessSignature sr=…&sig=…&se=…[&skn=…]}, fields in any order. */
  static Token parse(String text) throws Malformed {
    if (text == null || !text.startsWith(PREFIX)) {
      throw new Malformed("not a SharedAccessSignature token");
    }
    Map<String, String> fields = new HashMap<>();
    for (String part : text.substring(PREFIX.length()).split("&")) {
      int eq = part.indexOf('=');
      if (eq <= 0 || fields.put(part.substring(0, eq), part.substring(eq + 1)) != null) {
        throw new Malformed("bad or repeated field '" + (eq > 0 ? part.substring(0, eq) : part) + "'");
      }
    }
    String sr = fields.get("sr");
    String sig = fields.get("sig");
    String se = fields.get("se");
    if (sr == null || sig == null || se == null) {
      throw new Malformed("sr, sig and se are all required");
    }
    try {
      return new Token(sr, URLDecoder.decode(sr, StandardCharsets.UTF_8), URLDecoder.decode(sig, StandardCharsets.UTF_8),
          se, Long.parseLong(se));
    } catch (IllegalArgumentException e) {
      throw new Malformed("sr, sig or se does not decode: " + e.getMessage());
    }
  }

  /** True when the token's signature is HMAC-SHA256(base64-decoded key, "{sr}\n{se}"). */
  static boolean signedWith(Token token, String base64Key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(base64Key), "HmacSHA256"));
      byte[] expected = mac.doFinal((token.encodedResource() + "\n" + token.expiry()).getBytes(StandardCharsets.UTF_8));
      // Constant-time comparison, as a real hub would do.
      return MessageDigest.isEqual(expected, Base64.getDecoder().decode(token.signature()));
    } catch (IllegalArgumentException e) {
      return false; // signature is not base64
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is mandatory in every JDK", e);
    }
  }
}

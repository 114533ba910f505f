package dev.clearway.tls;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An IoT Hub shared access signature:
 * {@code SharedAccessSignature sr={url-encoded resource}&sig={url-encoded base64 HMAC}&se={expiry}[&skn={policy}]}.
 *
 * <p>The signature is HMAC-SHA256, keyed with the base64-decoded key, over the url-encoded resource
 * exactly as the token carries it, a newline, and the expiry in epoch seconds. Verification signs
 * the token's own {@code sr} text, so SDKs that percent-encode with different letter case still
 * verify. {@link #toString()} never shows the signature.
 */
public final class SasToken {
  private static final String PREFIX = "SharedAccessSignature ";

  private final String encodedResource;
  private final String resource;
  private final String signature;
  private final long expiry;
  private final Optional<String> keyName;

  private SasToken(String encodedResource, String resource, String signature, long expiry, Optional<String> keyName) {
    this.encodedResource = encodedResource;
    this.resource = resource;
    this.signature = signature;
    this.expiry = expiry;
    this.keyName = keyName;
  }

  /** A token that does not parse; the message says which part is wrong (never the secret). */
  public static final class MalformedTokenException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedTokenException(String message) {
      super(message);
    }
  }

  /** Parses a token; fields may come in any order, unknown fields are refused. */
  public static SasToken parse(String token) throws MalformedTokenException {
    if (token == null || !token.startsWith(PREFIX)) {
      throw new MalformedTokenException("not a SharedAccessSignature token");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String part : token.substring(PREFIX.length()).trim().split("&")) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new MalformedTokenException("token field '" + truncate(part) + "' has no name=value form");
      }
      String name = part.substring(0, eq).toLowerCase(Locale.ROOT);
      if (!name.equals("sr") && !name.equals("sig") && !name.equals("se") && !name.equals("skn")) {
        throw new MalformedTokenException("unknown token field '" + truncate(name) + "'");
      }
      if (fields.put(name, part.substring(eq + 1)) != null) {
        throw new MalformedTokenException("token field '" + name + "' appears twice");
      }
    }
    for (String required : new String[] {"sr", "sig", "se"}) {
      if (!fields.containsKey(required) || fields.get(required).isEmpty()) {
        throw new MalformedTokenException("token has no '" + required + "' field");
      }
    }
    long expiry;
    try {
      expiry = Long.parseLong(fields.get("se"));
    } catch (NumberFormatException e) {
      throw new MalformedTokenException("token expiry 'se' is not a number of seconds");
    }
    String encoded = fields.get("sr");
    String sig;
    String resource;
    try {
      resource = URLDecoder.decode(encoded, StandardCharsets.UTF_8);
      sig = URLDecoder.decode(fields.get("sig"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new MalformedTokenException("token has a malformed percent-encoding");
    }
    Optional<String> skn = Optional.ofNullable(fields.get("skn")).map(s -> URLDecoder.decode(s, StandardCharsets.UTF_8));
    return new SasToken(encoded, resource, sig, expiry, skn);
  }

  /**
   * Creates a token for {@code resource} (e.g. {@code myhub.azure-devices.net/devices/d1}), signed
   * with a base64 key, valid until {@code expiry}. The gateway uses this for its uplink.
   */
  public static String create(String resource, String base64Key, Instant expiry) {
    String encoded = URLEncoder.encode(resource, StandardCharsets.UTF_8);
    long se = expiry.getEpochSecond();
    String sig = sign(encoded, se, Base64.getDecoder().decode(base64Key));
    return PREFIX + "sr=" + encoded + "&sig=" + URLEncoder.encode(sig, StandardCharsets.UTF_8) + "&se=" + se;
  }

  /** The resource the token grants, url-decoded ({@code host/devices/id[/modules/m]}). */
  public String resource() {
    return resource;
  }

  /** The expiry, epoch seconds. */
  public long expiry() {
    return expiry;
  }

  /** The shared access policy name, for policy-scoped tokens. */
  public Optional<String> keyName() {
    return keyName;
  }

  public boolean isExpired(Instant now) {
    return now.getEpochSecond() >= expiry;
  }

  /** Whether the token was signed with this base64 key (constant-time comparison). */
  public boolean isSignedWith(String base64Key) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64Key);
    } catch (IllegalArgumentException e) {
      return false;
    }
    byte[] expected = sign(encodedResource, expiry, key).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
  }

  private static String sign(String encodedResource, long expiry, byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] raw = mac.doFinal((encodedResource + "\n" + expiry).getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(raw);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is required by every Java runtime", e);
    }
  }

  private static String truncate(String s) {
    return s.length() <= 16 ? s : s.substring(0, 16) + "…";
  }

  @Override
  public String toString() {
    return "SasToken[sr=" + resource + ", se=" + expiry + keyName.map(k -> ", skn=" + k).orElse("") + "]";
  }
}

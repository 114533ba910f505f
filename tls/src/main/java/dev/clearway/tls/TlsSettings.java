package dev.clearway.tls;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code clearway.tls} settings (every key is documented in this module's reference.conf).
 *
 * @param hostname the name devices put in {@code GatewayHostName}; CN and first SAN of the server certificate
 * @param extraSubjectAltNames more SAN entries (DNS names or IP literals)
 * @param trustBundle the roots this gateway trusts (devices' CAs; the edge CA's root); empty in quickstart
 * @param edgeCaCert the edge CA full chain; empty means quickstart
 * @param edgeCaKey the edge CA's private key
 * @param quickstartRootValidity validity of the quickstart root and intermediate CAs
 * @param quickstartEdgeCaValidity validity of the quickstart edge CA (reissued when it runs low)
 * @param serverKeyType key type of the workload CA and the server certificate
 * @param workloadCaValidity validity of the workload CA issued at start
 * @param serverCertValidity validity of each server certificate
 * @param renewBefore reissue the server certificate when it has less than this left
 * @param renewalCheckInterval how often to look at the server certificate's expiry
 * @param protocols the TLS versions listeners accept
 * @param sessionResumption how reconnecting clients resume their sessions
 */
public record TlsSettings(
    String hostname,
    List<String> extraSubjectAltNames,
    Optional<Path> trustBundle,
    Optional<Path> edgeCaCert,
    Optional<Path> edgeCaKey,
    Duration quickstartRootValidity,
    Duration quickstartEdgeCaValidity,
    KeyType serverKeyType,
    Duration workloadCaValidity,
    Duration serverCertValidity,
    Duration renewBefore,
    Duration renewalCheckInterval,
    List<String> protocols,
    SessionResumption sessionResumption) {

  private static final String PREFIX = "clearway.tls.";
  private static final List<String> ALLOWED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
  private static final Pattern DNS_NAME = Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  public TlsSettings {
    extraSubjectAltNames = List.copyOf(extraSubjectAltNames);
    protocols = List.copyOf(protocols);
  }

  /** Whether the gateway makes its own demo PKI because no edge CA is configured. */
  public boolean quickstart() {
    return edgeCaCert.isEmpty();
  }

  /** Reads {@code clearway.tls} from a resolved configuration that includes this module's reference.conf. */
  public static TlsSettings fromConfig(Config root) {
    Config c = root.getConfig("clearway.tls");
    String hostname = c.getString("hostname").trim();
    hostname = hostname.isEmpty() ? machineHostName() : hostname.toLowerCase(Locale.ROOT);
    if (!DNS_NAME.matcher(hostname).matches() || hostname.startsWith("*")) {
      throw new TlsSettingsException(PREFIX + "hostname", "'" + hostname + "' is not a valid DNS host name");
    }
    List<String> sans = c.getStringList("subject-alt-names");
    for (String san : sans) {
      if (!isIpLiteral(san) && !DNS_NAME.matcher(san).matches()) {
        throw new TlsSettingsException(PREFIX + "subject-alt-names", "'" + san + "' is neither a DNS name nor an IP address");
      }
    }
    Optional<Path> edgeCert = path(c, "edge-ca.cert");
    Optional<Path> edgeKey = path(c, "edge-ca.pk");
    if (edgeCert.isPresent() != edgeKey.isPresent()) {
      String missing = edgeCert.isPresent() ? "edge-ca.pk" : "edge-ca.cert";
      throw new TlsSettingsException(PREFIX + missing, "must be set together with "
          + PREFIX + (edgeCert.isPresent() ? "edge-ca.cert" : "edge-ca.pk"));
    }
    Optional<Path> bundle = path(c, "trust-bundle-cert");
    if (edgeCert.isPresent() && bundle.isEmpty()) {
      throw new TlsSettingsException(PREFIX + "trust-bundle-cert",
          "must be set when an edge CA is configured (the root CA your edge CA chain rolls up to)");
    }
    KeyType keyType;
    try {
      keyType = KeyType.parse(c.getString("server-cert.key-type"));
    } catch (IllegalArgumentException e) {
      throw new TlsSettingsException(PREFIX + "server-cert.key-type", e.getMessage());
    }
    List<String> protocols = c.getStringList("protocols");
    if (protocols.isEmpty() || !ALLOWED_PROTOCOLS.containsAll(protocols)) {
      throw new TlsSettingsException(PREFIX + "protocols", protocols + " is not allowed; use TLSv1.3 and/or TLSv1.2");
    }
    Duration serverValidity = positive(c, "server-cert.validity");
    Duration renewBefore = positive(c, "server-cert.renew-before");
    if (renewBefore.compareTo(serverValidity) >= 0) {
      throw new TlsSettingsException(PREFIX + "server-cert.renew-before",
          renewBefore + " must be shorter than server-cert.validity (" + serverValidity + ")");
    }
    return new TlsSettings(hostname, sans, bundle, edgeCert, edgeKey,
        positive(c, "quickstart.root-validity"), positive(c, "quickstart.edge-ca-validity"), keyType, positive(c, "workload-ca.validity"), serverValidity, renewBefore,
        positive(c, "renewal-check-interval"), protocols, sessionResumption(c));
  }

  private static SessionResumption sessionResumption(Config c) {
    String mode = c.getString("session-resumption").trim();
    if (!mode.equals("cache") && !mode.equals("tickets")) {
      throw new TlsSettingsException(PREFIX + "session-resumption", "'" + mode + "' is neither cache nor tickets");
    }
    int size;
    try {
      size = c.getInt("session-cache-size");
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw new TlsSettingsException(PREFIX + "session-cache-size", "must be a whole number of sessions");
    }
    if (size < 1 || size > 1_000_000) {
      throw new TlsSettingsException(PREFIX + "session-cache-size", size + " is outside 1 .. 1000000");
    }
    Duration timeout = positive(c, "session-timeout");
    if (timeout.getSeconds() < 1 || timeout.compareTo(Duration.ofDays(7)) > 0) {
      throw new TlsSettingsException(PREFIX + "session-timeout", timeout + " is outside 1s .. 7d");
    }
    return new SessionResumption(mode.equals("tickets"), size, timeout);
  }

  /**
   * A certificate location as IoT Edge's config.toml writes it: a {@code file:///} URI or a plain
   * path. Empty means "not set".
   */
  static Optional<Path> path(Config c, String key) {
    String value;
    try {
      value = c.getString(key);
    } catch (ConfigException.WrongType e) {
      throw new TlsSettingsException(PREFIX + key, "must be a string (a file:/// URI or a path)");
    }
    return location(PREFIX + key, value);
  }

  /**
   * A certificate location setting's value, {@code fullKey} naming the setting in errors: a
   * {@code file:///} URI or a plain path; empty means "not set".
   *
   * @throws TlsSettingsException for a remote URI, another scheme, or an invalid path
   */
  public static Optional<Path> location(String fullKey, String rawValue) {
    String value = rawValue.trim();
    if (value.isEmpty()) {
      return Optional.empty();
    }
    try {
      if (value.regionMatches(true, 0, "file:", 0, 5)) {
        URI uri = URI.create(value);
        if (uri.getAuthority() != null && !uri.getAuthority().isEmpty() && !"localhost".equalsIgnoreCase(uri.getAuthority())) {
          throw new TlsSettingsException(fullKey, "'" + value + "' names a remote host; use file:///absolute/path");
        }
        return Optional.of(Path.of(uri.getPath()));
      }
      if (value.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
        throw new TlsSettingsException(fullKey, "'" + value + "' is not supported; use a file:/// URI or a path");
      }
      return Optional.of(Path.of(value));
    } catch (IllegalArgumentException e) { // includes InvalidPathException
      throw new TlsSettingsException(fullKey, "'" + value + "' is not a valid file URI or path");
    }
  }

  static boolean isIpLiteral(String s) {
    return s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (s.contains(":") && s.matches("[0-9A-Fa-f:.]+"));
  }

  private static Duration positive(Config c, String key) {
    Duration d;
    try {
      d = c.getDuration(key);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw new TlsSettingsException(PREFIX + key, "must be a duration such as 30d or 12h");
    }
    if (d.isNegative() || d.isZero()) {
      throw new TlsSettingsException(PREFIX + key, "must be positive, was " + d);
    }
    return d;
  }

  private static String machineHostName() {
    try {
      return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}

package dev.clearway.routes;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable message as the gateway sees it: the source path, system properties, application
 * properties and body bytes.
 *
 * <p>Application property names compare ignoring case and keep the case they were given in; their
 * order is insertion order; a value may be {@code null}. The body is copied in and out. When a route
 * queries the body, it is parsed as JSON once, lazily, and the result is kept in the message, so any
 * number of routes (on any threads) share one parse.
 *
 * <pre>{@code
 * Message m = Message.builder()
 *     .source("/messages/modules/filter/outputs/alerts")
 *     .systemProperty(SystemProperty.CONTENT_TYPE, "application/json")
 *     .systemProperty(SystemProperty.CONTENT_ENCODING, "utf-8")
 *     .property("severity", "high")
 *     .body("{\"t\":50}".getBytes(StandardCharsets.UTF_8))
 *     .build();
 * }</pre>
 */
public final class Message {

  /** The source path of device telemetry. */
  public static final String DEVICE_TELEMETRY_SOURCE = "/messages";

  /**
   * The deepest nesting of a JSON body that body queries read; a deeper body counts as not JSON
   * (its queries are undefined). A fixed bound: it protects the routing thread's stack.
   */
  public static final int MAX_BODY_JSON_DEPTH = 256;

  /** The source path of reported-property change notifications. */
  public static final String TWIN_CHANGE_SOURCE = "/twinChangeNotifications";

  // Body JSON: nothing after the value, and bounded nesting so that a hostile body cannot exhaust
  // the routing thread's stack. (Duplicate keys: the last wins, as in most JSON readers.)
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .build();

  static {
    JSON.getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_BODY_JSON_DEPTH).build());
  }

  private static final SystemProperty[] SYSTEM = SystemProperty.values();
  private static final Charset UTF_32 = Charset.forName("UTF-32");

  /** One application property: the name as given and its value (maybe {@code null}). */
  public record Property(String name, String value) {}

  private final String source;
  private final String sourceKey;
  private final String[] system;
  private final Map<String, Property> properties; // folded name -> property, insertion ordered
  private final byte[] body;
  private volatile Optional<JsonNode> json; // null until a route first asks
  private int bodyParses;

  private Message(Builder b) {
    this.source = b.source;
    this.sourceKey = sourceKey(b.source);
    this.system = b.system.clone();
    this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(b.properties));
    this.body = b.body;
  }

  /** A new builder: source {@code /messages}, no properties, empty body. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this message's contents. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.source = source;
    System.arraycopy(system, 0, b.system, 0, system.length);
    b.properties.putAll(properties);
    b.body = body;
    return b;
  }

  /** The source path, e.g. {@code /messages/modules/M1/outputs/o1}. */
  public String source() {
    return source;
  }

  /**
   * The source folded for matching: lower case with a trailing {@code /} (ROUTES.md, "Sources":
   * both sides get a trailing {@code /} and compare ignoring case).
   */
  public String sourceKey() {
    return sourceKey;
  }

  /** A system property's value, or {@code null} when the message does not carry it. */
  public String systemProperty(SystemProperty p) {
    return system[p.ordinal()];
  }

  /** Every system property the message carries. */
  public Map<SystemProperty, String> systemProperties() {
    Map<SystemProperty, String> m = new EnumMap<>(SystemProperty.class);
    for (SystemProperty p : SYSTEM) {
      if (system[p.ordinal()] != null) {
        m.put(p, system[p.ordinal()]);
      }
    }
    return Collections.unmodifiableMap(m);
  }

  /** The application property of that name, ignoring case; {@code null} when absent. */
  public Property property(PropertyKey key) {
    return properties.get(key.folded());
  }

  /** The application property of that name, ignoring case. */
  public Optional<Property> property(String name) {
    return Optional.ofNullable(properties.get(SystemProperty.fold(name)));
  }

  /** Application properties in insertion order, names in their original case. */
  public Map<String, String> properties() {
    Map<String, String> m = new LinkedHashMap<>();
    properties.values().forEach(p -> m.put(p.name(), p.value()));
    return Collections.unmodifiableMap(m);
  }

  /** A copy of the body bytes. */
  public byte[] body() {
    return body.clone();
  }

  /** The body bytes as a read-only buffer over the message's own (no copy), positioned at the start. */
  public ByteBuffer bodyBuffer() {
    return ByteBuffer.wrap(body).asReadOnlyBuffer();
  }

  /** The body length in bytes. */
  public int bodyLength() {
    return body.length;
  }

  /**
   * The body as JSON, when the content type is {@code application/json} (parameters allowed) and the
   * content encoding is UTF-8, UTF-16 or UTF-32 (ROUTES.md, "Body queries"); empty otherwise or when
   * the body is not valid JSON. Parsed on the first call only.
   */
  public Optional<JsonNode> jsonBody() {
    Optional<JsonNode> j = json;
    if (j == null) {
      // The body array is private and never handed out (wrapBody's caller gives it up), so it is a
      // lock nobody else takes.
      synchronized (body) {
        j = json;
        if (j == null) {
          j = parseBody();
          json = j;
        }
      }
    }
    return j;
  }

  /** How often the body was parsed; at most 1. For tests. */
  int bodyParses() {
    synchronized (body) {
      return bodyParses;
    }
  }

  private Optional<JsonNode> parseBody() {
    bodyParses++;
    Charset cs = jsonCharset();
    if (cs == null) {
      return Optional.empty();
    }
    try {
      // UTF-8, the common case, is parsed from the bytes: no intermediate String.
      JsonNode tree = cs == StandardCharsets.UTF_8 ? JSON.readTree(body) : JSON.readTree(new String(body, cs));
      return tree == null || tree.isMissingNode() ? Optional.empty() : Optional.of(tree);
    } catch (IOException | RuntimeException e) {
      // Invalid JSON makes every body query undefined; it is not an error of the route.
      return Optional.empty();
    }
  }

  private Charset jsonCharset() {
    String type = systemProperty(SystemProperty.CONTENT_TYPE);
    String enc = systemProperty(SystemProperty.CONTENT_ENCODING);
    if (type == null || enc == null) {
      return null;
    }
    // better (ROUTES.md): "application/json; charset=utf-8" counts as JSON too.
    int semi = type.indexOf(';');
    String media = (semi < 0 ? type : type.substring(0, semi)).trim();
    if (!media.equalsIgnoreCase("application/json")) {
      return null;
    }
    switch (enc.trim().toLowerCase(Locale.ROOT)) {
      case "utf-8":
        return StandardCharsets.UTF_8;
      case "utf-16":
        return StandardCharsets.UTF_16;
      case "utf-32":
        return UTF_32;
      default:
        return null;
    }
  }

  static String sourceKey(String source) {
    String s = SystemProperty.fold(source);
    return s.endsWith("/") ? s : s + "/";
  }

  @Override
  public String toString() {
    return "Message[source="
        + source
        + ", system="
        + systemProperties()
        + ", properties="
        + properties()
        + ", body="
        + body.length
        + " bytes]";
  }

  /** Builds a {@link Message}; not thread-safe. */
  public static final class Builder {
    private String source = DEVICE_TELEMETRY_SOURCE;
    private final String[] system = new String[SYSTEM.length];
    private final Map<String, Property> properties = new LinkedHashMap<>();
    private byte[] body = new byte[0];

    private Builder() {}

    /** The source path; {@code /messages} by default. */
    public Builder source(String source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /** Sets a system property; {@code null} removes it. */
    public Builder systemProperty(SystemProperty p, String value) {
      system[p.ordinal()] = value;
      return this;
    }

    /**
     * Sets an application property. A name equal to an existing one ignoring case replaces it: the
     * new name and value, the old position.
     */
    public Builder property(String name, String value) {
      Objects.requireNonNull(name, "name");
      properties.put(SystemProperty.fold(name), new Property(name, value));
      return this;
    }

    /** Sets every entry of {@code props}, in its iteration order. */
    public Builder properties(Map<String, String> props) {
      props.forEach(this::property);
      return this;
    }

    /** Removes every application property. */
    public Builder clearProperties() {
      properties.clear();
      return this;
    }

    /** The body; copied. */
    public Builder body(byte[] bytes) {
      this.body = bytes.clone();
      return this;
    }

    /**
     * The body, not copied: the caller hands the array over and must not change it afterwards (for
     * a freshly decoded payload, which would otherwise be copied once more for nothing).
     */
    public Builder wrapBody(byte[] bytes) {
      this.body = Objects.requireNonNull(bytes, "body");
      return this;
    }

    /** The body as UTF-8 text. */
    public Builder body(String text) {
      this.body = text.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    public Message build() {
      return new Message(this);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Message m
        && source.equals(m.source)
        && Arrays.equals(system, m.system)
        && properties.equals(m.properties)
        && Arrays.equals(body, m.body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, Arrays.hashCode(system), properties, Arrays.hashCode(body));
  }
}

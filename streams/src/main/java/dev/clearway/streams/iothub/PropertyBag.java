package dev.clearway.streams.iothub;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * IoT Hub's MQTT property bag: {@code k1=v1&k2=v2}, names and values url-encoded, in order. A name
 * without {@code =} is a property with no value (null). Names starting with {@code $.} are system
 * properties ({@code $.mid}, {@code $.ct}, …); see {@link SystemKeys}.
 */
public final class PropertyBag {
  private PropertyBag() {}

  /** One name and its (possibly null) value, both decoded. */
  public record Entry(String name, String value) {}

  /** A bag that cannot be decoded; the message says where. */
  public static final class MalformedBagException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedBagException(String message) {
      super(message);
    }
  }

  /** Decodes a bag; the empty string is an empty bag. */
  public static List<Entry> decode(String bag) throws MalformedBagException {
    if (bag.isEmpty()) {
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    for (String pair : bag.split("&", -1)) {
      if (pair.isEmpty()) {
        continue; // "a=1&&b=2" and a trailing '&' carry no property
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      if (name.isEmpty()) {
        throw new MalformedBagException("property bag entry '" + pair + "' has no name");
      }
      try {
        entries.add(new Entry(decodePart(name), eq < 0 ? null : decodePart(pair.substring(eq + 1))));
      } catch (IllegalArgumentException e) {
        throw new MalformedBagException("property bag entry '" + pair + "' has a malformed percent-encoding");
      }
    }
    return Collections.unmodifiableList(entries);
  }

  /** Encodes entries as a bag, in order, each part url-encoded ({@code %20} for spaces). */
  public static String encode(List<Entry> entries) {
    StringBuilder sb = new StringBuilder();
    for (Entry e : entries) {
      if (sb.length() > 0) {
        sb.append('&');
      }
      sb.append(encodePart(e.name()));
      if (e.value() != null) {
        sb.append('=').append(encodePart(e.value()));
      }
    }
    return sb.toString();
  }

  /** Encodes name/value pairs given as a map (in its iteration order). */
  public static String encode(Map<String, String> properties) {
    List<Entry> entries = new ArrayList<>();
    properties.forEach((k, v) -> entries.add(new Entry(k, v)));
    return encode(entries);
  }

  private static String decodePart(String s) {
    // '+' is a literal plus in a topic, not a space: only percent-escapes are decoded.
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static String encodePart(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}

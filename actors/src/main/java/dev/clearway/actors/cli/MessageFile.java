package dev.clearway.actors.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads the message file of {@code clearway routes eval --message M.json}:
 *
 * <pre>
 * {"source": "/messages", "properties": {"k": "v", "n": null},
 *  "systemProperties": {"contentType": "application/json", "contentEncoding": "utf-8"},
 *  "body": &lt;any JSON value&gt;}   (or "bodyText": "…", or "bodyBase64": "…")
 * </pre>
 *
 * Every field is optional. A problem is one line naming the field.
 */
final class MessageFile {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> FIELDS =
      List.of("source", "properties", "systemProperties", "body", "bodyText", "bodyBase64");

  /** A message file that cannot be used; the message is one line. */
  static final class BadMessageFile extends Exception {
    BadMessageFile(String message) {
      super(message);
    }
  }

  private MessageFile() {}

  static Message read(Path file) throws BadMessageFile {
    String where = "message file " + file;
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new BadMessageFile(
          where
              + ": not valid JSON at line "
              + e.getLocation().getLineNr()
              + ", column "
              + e.getLocation().getColumnNr()
              + ": "
              + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadMessageFile(where + ": cannot read it (" + e.getClass().getSimpleName() + ")");
    }
    if (root == null || !root.isObject()) {
      throw new BadMessageFile(where + ": expected a JSON object");
    }
    return parse(root, where);
  }

  private static Message parse(JsonNode root, String where) throws BadMessageFile {
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new BadMessageFile(where + ": unknown field '" + f + "'; expected one of " + String.join(", ", FIELDS));
      }
    }
    Message.Builder b = Message.builder();
    JsonNode source = root.get("source");
    if (source != null) {
      b.source(text(source, where, "source"));
    }
    for (Map.Entry<String, JsonNode> e : entries(root.get("properties"), where, "properties")) {
      JsonNode v = e.getValue();
      b.property(e.getKey(), v.isNull() ? null : text(v, where, "properties." + e.getKey()));
    }
    for (Map.Entry<String, JsonNode> e : entries(root.get("systemProperties"), where, "systemProperties")) {
      // Names are written without '$' here; conditions refer to them with '$'.
      SystemProperty p =
          SystemProperty.byName(e.getKey())
              .orElseThrow(
                  () ->
                      new BadMessageFile(
                          where
                              + ": unknown system property '"
                              + e.getKey()
                              + "'; expected one of "
                              + SystemProperty.allNames().replace("$", "")));
      JsonNode v = e.getValue();
      b.systemProperty(p, v.isNull() ? null : text(v, where, "systemProperties." + e.getKey()));
    }
    body(root, b, where);
    return b.build();
  }

  private static void body(JsonNode root, Message.Builder b, String where) throws BadMessageFile {
    int given = (root.has("body") ? 1 : 0) + (root.has("bodyText") ? 1 : 0) + (root.has("bodyBase64") ? 1 : 0);
    if (given > 1) {
      throw new BadMessageFile(where + ": give at most one of body, bodyText, bodyBase64");
    }
    if (root.has("body")) {
      try {
        b.body(JSON.writeValueAsBytes(root.get("body")));
      } catch (JsonProcessingException e) {
        throw new BadMessageFile(where + ": body: " + e.getOriginalMessage());
      }
    } else if (root.has("bodyText")) {
      b.body(text(root.get("bodyText"), where, "bodyText"));
    } else if (root.has("bodyBase64")) {
      try {
        b.body(Base64.getDecoder().decode(text(root.get("bodyBase64"), where, "bodyBase64")));
      } catch (IllegalArgumentException e) {
        throw new BadMessageFile(where + ": bodyBase64: not valid base64 (" + e.getMessage() + ")");
      }
    }
  }

  private static String text(JsonNode v, String where, String field) throws BadMessageFile {
    if (!v.isTextual()) {
      throw new BadMessageFile(where + ": " + field + ": expected a string, got " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    return v.textValue();
  }

  private static Iterable<Map.Entry<String, JsonNode>> entries(JsonNode obj, String where, String field)
      throws BadMessageFile {
    if (obj == null || obj.isNull()) {
      return List.of();
    }
    if (!obj.isObject()) {
      throw new BadMessageFile(where + ": " + field + ": expected an object");
    }
    return obj.properties();
  }
}

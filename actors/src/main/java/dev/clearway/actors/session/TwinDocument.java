package dev.clearway.actors.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * One side of a device twin (desired or reported properties) with its {@code $version}, and IoT
 * Hub's patch rule: a JSON merge patch where {@code null} removes a property and nested objects
 * merge. Immutable; each change returns a new document.
 */
public final class TwinDocument {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode properties;
  private final long version;

  private TwinDocument(ObjectNode properties, long version) {
    this.properties = properties;
    this.version = version;
  }

  /** An empty side at version 0 (no patch seen yet). */
  public static TwinDocument empty() {
    return new TwinDocument(JSON.createObjectNode(), 0);
  }

  /** A side as the hub sent it: JSON object text (a {@code $version} member in it is ignored). */
  public static TwinDocument of(String json, long version) throws InvalidTwinException {
    ObjectNode node = parseObject(json.getBytes(StandardCharsets.UTF_8));
    node.remove("$version");
    return new TwinDocument(node, version);
  }

  /**
   * A side as a JSON object carrying its own {@code $version} (as {@link #withVersion()} writes it);
   * 0 when it has none.
   */
  public static TwinDocument withOwnVersion(JsonNode side) throws InvalidTwinException {
    if (!(side instanceof ObjectNode node)) {
      throw new InvalidTwinException("a twin side must be a JSON object");
    }
    ObjectNode properties = node.deepCopy();
    long version = properties.path("$version").asLong(0);
    properties.remove("$version");
    return new TwinDocument(properties, version);
  }

  /** A patch a device or the hub sent, or the reason it is refused. */
  public static final class InvalidTwinException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidTwinException(String message) {
      super(message);
    }
  }

  /** Parses a patch: a JSON object. */
  public static ObjectNode parseObject(byte[] json) throws InvalidTwinException {
    JsonNode node;
    try {
      node = JSON.readTree(json);
    } catch (java.io.IOException e) {
      String why = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
      throw new InvalidTwinException("not valid JSON: " + why);
    }
    if (node == null || !node.isObject()) {
      throw new InvalidTwinException("a twin patch must be a JSON object");
    }
    return (ObjectNode) node;
  }

  /**
   * Applies a merge patch and bumps the version.
   *
   * @param maxBytes the largest the resulting document may be (IoT Hub: 32 KB per side)
   */
  public TwinDocument patch(ObjectNode patch, long newVersion, int maxBytes) throws InvalidTwinException {
    ObjectNode merged = properties.deepCopy();
    merge(merged, patch);
    merged.remove("$version");
    int size = toBytes(merged).length;
    if (size > maxBytes) {
      throw new InvalidTwinException("the twin would be " + size + " bytes, more than the " + maxBytes + " allowed");
    }
    return new TwinDocument(merged, newVersion);
  }

  /** Merges {@code patch} into {@code target} (RFC 7386). */
  static void merge(ObjectNode target, JsonNode patch) {
    Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode value = f.getValue();
      if (value.isNull()) {
        target.remove(f.getKey());
      } else if (value.isObject() && target.get(f.getKey()) instanceof ObjectNode existing) {
        merge(existing, value);
      } else if (value.isObject()) {
        ObjectNode fresh = target.putObject(f.getKey());
        merge(fresh, value); // nulls inside a new object are dropped, not stored
      } else {
        target.set(f.getKey(), value.deepCopy());
      }
    }
  }

  /**
   * Composes two merge patches into one with the effect of applying {@code first} then
   * {@code second}: nulls are kept (they remove on the hub), nested objects compose.
   */
  public static ObjectNode compose(ObjectNode first, ObjectNode second) {
    ObjectNode out = first.deepCopy();
    Iterator<Map.Entry<String, JsonNode>> fields = second.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      JsonNode value = f.getValue();
      if (value.isObject() && out.get(f.getKey()) instanceof ObjectNode existing) {
        out.set(f.getKey(), compose(existing, (ObjectNode) value));
      } else {
        out.set(f.getKey(), value.deepCopy());
      }
    }
    return out;
  }

  public long version() {
    return version;
  }

  /** The properties with {@code $version}, as IoT Hub returns a side of the twin. */
  public ObjectNode withVersion() {
    ObjectNode n = properties.deepCopy();
    n.put("$version", version);
    return n;
  }

  /** {@code {"desired":{…,"$version":n},"reported":{…,"$version":m}}}: IoT Hub's twin GET answer. */
  public static byte[] twinJson(TwinDocument desired, TwinDocument reported) {
    return toBytes(twinNode(desired, reported));
  }

  /** The same as a tree, for callers that add to it. */
  public static ObjectNode twinNode(TwinDocument desired, TwinDocument reported) {
    ObjectNode twin = JSON.createObjectNode();
    twin.set("desired", desired.withVersion());
    twin.set("reported", reported.withVersion());
    return twin;
  }

  /** The JSON text of a node. */
  public static byte[] toBytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }
}

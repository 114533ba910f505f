package dev.clearway.actors.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every identity's twin, kept outside the broker so it survives a broker restart. A new twin has
 * empty desired and reported properties, each at {@code $version} 1, as IoT Hub creates them.
 */
final class TwinStore {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final String VERSION = "$version";

  private final Map<String, Twin> twins = new ConcurrentHashMap<>();

  /** One twin; every method holds its lock, so a GET never sees half a patch. */
  private static final class Twin {
    private final ObjectNode desired = JSON.createObjectNode();
    private final ObjectNode reported = JSON.createObjectNode();
    private long desiredVersion = 1;
    private long reportedVersion = 1;
    private final List<JsonNode> reportedPatches = new ArrayList<>();
  }

  /** {@code {"desired":{…,"$version":n},"reported":{…,"$version":m}}}, as a twin GET answers. */
  byte[] document(String identity) {
    Twin t = twin(identity);
    synchronized (t) {
      ObjectNode doc = JSON.createObjectNode();
      doc.set("desired", t.desired.deepCopy().put(VERSION, t.desiredVersion));
      doc.set("reported", t.reported.deepCopy().put(VERSION, t.reportedVersion));
      return bytes(doc);
    }
  }

  HubStandIn.Twin snapshot(String identity) {
    Twin t = twin(identity);
    synchronized (t) {
      return new HubStandIn.Twin(t.desired.deepCopy(), t.desiredVersion, t.reported.deepCopy(), t.reportedVersion);
    }
  }

  List<JsonNode> reportedPatches(String identity) {
    Twin t = twin(identity);
    synchronized (t) {
      return t.reportedPatches.stream().<JsonNode>map(JsonNode::deepCopy).toList();
    }
  }

  /** Applies a reported patch; the new reported version, or empty when the body is not a JSON object (400). */
  Optional<Long> patchReported(String identity, byte[] body) {
    Optional<ObjectNode> patch = parseObject(body);
    if (patch.isEmpty()) {
      return Optional.empty();
    }
    Twin t = twin(identity);
    synchronized (t) {
      t.reportedPatches.add(patch.get().deepCopy());
      merge(t.reported, patch.get());
      return Optional.of(++t.reportedVersion);
    }
  }

  /** Applies a desired patch; returns what IoT Hub sends the device: the patch plus {@code $version}. */
  ObjectNode patchDesired(String identity, String json) {
    ObjectNode patch = parseObject(json.getBytes(StandardCharsets.UTF_8))
        .orElseThrow(() -> new IllegalArgumentException("a desired patch must be a JSON object: " + json));
    Twin t = twin(identity);
    synchronized (t) {
      merge(t.desired, patch);
      return patch.deepCopy().put(VERSION, ++t.desiredVersion);
    }
  }

  static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Twin twin(String identity) {
    return twins.computeIfAbsent(identity, i -> new Twin());
  }

  private static Optional<ObjectNode> parseObject(byte[] body) {
    try {
      JsonNode node = JSON.readTree(body);
      if (node instanceof ObjectNode o) {
        o.remove(VERSION); // a version in a patch is the hub's to set
        return Optional.of(o);
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** RFC 7386 JSON merge patch: null removes a member, objects merge, anything else replaces. */
  private static void merge(ObjectNode target, JsonNode patch) {
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      JsonNode value = e.getValue();
      if (value.isNull()) {
        target.remove(e.getKey());
      } else if (value.isObject()) {
        JsonNode existing = target.get(e.getKey());
        merge(existing instanceof ObjectNode o ? o : target.putObject(e.getKey()), value);
      } else {
        target.set(e.getKey(), value.deepCopy());
      }
    }
  }
}

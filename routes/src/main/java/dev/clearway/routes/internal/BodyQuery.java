package dev.clearway.routes.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.clearway.routes.Message;
import dev.clearway.routes.PropertyKey;
import java.util.Optional;

/** {@code $body.a.b[2].c}: a query into the message's JSON body (ROUTES.md, "Body queries"). */
final class BodyQuery implements Node {
  private final String[] names;
  private final int[] indexes;
  private final PropertyKey literal; // an application property of this exact name wins, unless braced

  BodyQuery(BodyPath path) {
    this.names = path.segments().stream().map(BodyPath.Segment::name).toArray(String[]::new);
    this.indexes = path.segments().stream().mapToInt(BodyPath.Segment::index).toArray();
    this.literal = path.braced() ? null : PropertyKey.of(path.text());
  }

  @Override
  public Object eval(Message m) {
    if (literal != null) {
      Message.Property p = m.property(literal);
      if (p != null) {
        return Values.ofProperty(p);
      }
    }
    JsonNode n = resolve(m);
    return n == null ? Values.UNDEFINED : Values.ofJson(n);
  }

  /** The JSON node at the path (MissingNode when absent), or null when the body is not JSON. */
  JsonNode resolve(Message m) {
    Optional<JsonNode> body = m.jsonBody();
    return body.isEmpty() ? null : walk(body.get(), names, indexes);
  }

  /** Follows names and indexes; path() never throws and answers MissingNode for absent steps. */
  static JsonNode walk(JsonNode n, String[] names, int[] indexes) {
    for (int i = 0; i < names.length && !n.isMissingNode(); i++) {
      n = n.path(names[i]);
      if (indexes[i] >= 0) {
        n = n.isArray() ? n.path(indexes[i]) : MissingNode.getInstance();
      }
    }
    return n;
  }
}

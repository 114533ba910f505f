package dev.clearway.routes.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded differential test: a compiled {@code $body} query reads the same value as Jackson's own
 * JSON Pointer lookup of that path, on random documents and random paths.
 */
class BodyQueryPropertyTest {

  private static final long SEED = Long.getLong("fuzz.seed", 7L);
  private static final String[] NAMES = {"a", "b", "c"};
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  @Test
  void bodyQueryAgreesWithJsonPointerOnRandomDocumentsAndPaths() throws Exception {
    Random r = new Random(SEED);
    ObjectMapper json = new ObjectMapper();
    int hits = 0;
    for (int i = 0; i < 3_000; i++) {
      JsonNode doc = randomNode(r, 0);
      Message m =
          Message.builder()
              .systemProperty(SystemProperty.CONTENT_TYPE, "application/json")
              .systemProperty(SystemProperty.CONTENT_ENCODING, "utf-8")
              .body(json.writeValueAsBytes(doc))
              .build();
      StringBuilder text = new StringBuilder("$body");
      StringBuilder pointer = new StringBuilder();
      List<BodyPath.Segment> segments = new ArrayList<>();
      for (int n = 1 + r.nextInt(3); n > 0; n--) {
        String name = NAMES[r.nextInt(NAMES.length)];
        int index = r.nextInt(3) == 0 ? r.nextInt(3) : -1;
        text.append('.').append(name);
        pointer.append('/').append(name);
        if (index >= 0) {
          text.append('[').append(index).append(']');
          pointer.append('/').append(index);
        }
        segments.add(new BodyPath.Segment(name, index));
      }
      BodyQuery q = new BodyQuery(new BodyPath(text.toString(), segments, true));
      JsonNode expected = doc.at(JsonPointer.compile(pointer.toString()));
      Object want = Values.ofJson(expected);
      assertThat(q.eval(m)).as("seed %d: %s on %s", SEED, text, doc).isEqualTo(want);
      hits += expected.isMissingNode() ? 0 : 1;
    }
    // The generator must reach present values too, or the test would only ever compare nulls.
    assertThat(hits).isGreaterThan(300);
  }

  private static JsonNode randomNode(Random r, int depth) {
    switch (depth == 0 ? 6 : depth >= 3 ? r.nextInt(4) : r.nextInt(7)) {
      case 0:
        return F.nullNode();
      case 1:
        return F.numberNode(r.nextInt(100) / 4.0);
      case 2:
        return F.textNode("s" + r.nextInt(5));
      case 3:
        return F.booleanNode(r.nextBoolean());
      case 4:
        ArrayNode a = F.arrayNode();
        for (int i = r.nextInt(4); i > 0; i--) {
          a.add(randomNode(r, depth + 1));
        }
        return a;
      default:
        ObjectNode o = F.objectNode();
        for (String name : NAMES) {
          if (r.nextInt(3) > 0) {
            o.set(name, randomNode(r, depth + 1));
          }
        }
        return o;
    }
  }
}

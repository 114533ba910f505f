package dev.clearway.routes;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/** Builds messages from the compact specs of conditions.txt. */
final class TestMessages {
  private TestMessages() {}

  /** A builder for a JSON message: content type application/json, encoding utf-8. */
  static Message.Builder json() {
    return Message.builder()
        .systemProperty(SystemProperty.CONTENT_TYPE, "application/json")
        .systemProperty(SystemProperty.CONTENT_ENCODING, "utf-8");
  }

  static Message parse(String spec) {
    Message.Builder b = Message.builder();
    String rest = spec.trim();
    while (!rest.isEmpty() && !rest.equals("-")) {
      if (rest.startsWith("body=") || rest.startsWith("body16=") || rest.startsWith("body32=")) {
        int eq = rest.indexOf('=');
        Charset cs =
            rest.startsWith("body16")
                ? StandardCharsets.UTF_16
                : rest.startsWith("body32") ? Charset.forName("UTF-32") : StandardCharsets.UTF_8;
        b.body(rest.substring(eq + 1).getBytes(cs));
        break;
      }
      int space = rest.indexOf(' ');
      String item = space < 0 ? rest : rest.substring(0, space);
      rest = space < 0 ? "" : rest.substring(space + 1).trim();
      item(b, item);
    }
    return b.build();
  }

  private static void item(Message.Builder b, String item) {
    if (item.equals("json")) {
      b.systemProperty(SystemProperty.CONTENT_TYPE, "application/json");
      b.systemProperty(SystemProperty.CONTENT_ENCODING, "utf-8");
    } else if (item.startsWith("src:")) {
      b.source(item.substring(4));
    } else if (item.startsWith("app:")) {
      String kv = item.substring(4);
      int eq = kv.indexOf('=');
      b.property(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? null : kv.substring(eq + 1).replace("%20", " "));
    } else if (item.startsWith("sys:")) {
      String kv = item.substring(4);
      int eq = kv.indexOf('=');
      SystemProperty p =
          SystemProperty.byName(kv.substring(0, eq))
              .orElseThrow(() -> new IllegalArgumentException("no system property " + kv));
      b.systemProperty(p, kv.substring(eq + 1));
    } else {
      throw new IllegalArgumentException("bad message spec item: " + item);
    }
  }
}

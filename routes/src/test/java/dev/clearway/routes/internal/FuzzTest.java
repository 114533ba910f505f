package dev.clearway.routes.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.clearway.routes.Condition;
import dev.clearway.routes.Message;
import dev.clearway.routes.RouteCompileException;
import dev.clearway.routes.RouteError;
import dev.clearway.routes.RouteLanguageSettings;
import dev.clearway.routes.RouteSpec;
import dev.clearway.routes.SystemProperty;
import dev.clearway.routes.Truth;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests: random route text only ever fails with our compile error, and compiled
 * conditions evaluate random messages to one of the four values without failing inside.
 */
class FuzzTest {

  private static final long SEED = Long.getLong("fuzz.seed", 20261126L);
  private static final RouteLanguageSettings LIMITS = new RouteLanguageSettings(16, 2000, 10);

  private static final String[] VOCABULARY = {
    "FROM", "SELECT", "*", "WHERE", "INTO", "$upstream", "BrokeredEndpoint(", "\"/modules/m/inputs/i\"",
    "/messages/*", "/twinChangeNotifications", "/", "AND", "OR", "NOT", "and", "(", ")", ",", "=", "==",
    "!=", "<>", "<", "<=", ">", ">=", "+", "-", "/", "%", "||", "??", "|", "?", "!", "true", "false",
    "null", "undefined", "TRUE", "0x1F", "0x", "1.5", "1e", "1e-3", ".5", "12abc", "'str'", "\"dq\"",
    "'unterminated", "'\\u00e9'", "'\\x'", "/*", "*/", "/* c */", "$body", "$body.a", "$body.a[1].b",
    "$body.a[]", "$body.a[1:2]", "$BODY.x", "{$body.a}", "{$messageId}", "{", "}", "$", "$nope",
    "$connectionModuleId", "$dt-subject", "$iothub-interface-id", "abs", "concat", "substring",
    "is_defined", "IS_DEFINED", "as_number", "twin_change_includes", "'properties.reported.x'",
    "nosuch", "prop", "p2", "[", "]", ".", "\n", "\t", "\u0000", "é", "#", ";", "@", "\\"
  };

  @Test
  void randomRouteTextNeverThrowsAnythingButRouteCompileException() {
    Random r = new Random(SEED);
    int compiled = 0;
    for (int i = 0; i < 30_000; i++) {
      String text = randomText(r);
      try {
        RouteCompiler.compileRule(RouteSpec.bare("fuzz", text), LIMITS);
        compiled++;
      } catch (RouteCompileException e) {
        for (RouteError err : e.errors()) {
          assertThat(err.line()).as("line of %s", text).isPositive();
          assertThat(err.column()).as("column of %s", text).isBetween(1, text.length() + 1);
          assertThat(err.render()).contains("^");
        }
      } catch (Throwable t) {
        fail("seed " + SEED + ", case " + i + ": " + t + " for route text: " + text, t);
      }
    }
    // Not a tautology: the generator reaches valid routes too, not only errors.
    assertThat(compiled).isPositive();
  }

  @Test
  void compiledConditionsEvaluateRandomMessagesToOneOfFourValuesWithoutFailing() {
    Random r = new Random(SEED);
    List<Condition> conditions = new ArrayList<>();
    int attempts = 0;
    while (conditions.size() < 400 && attempts++ < 50_000) {
      String text = new ExprGen(r).bool(0);
      try {
        conditions.add(RouteCompiler.compileCondition(text, LIMITS));
      } catch (RouteCompileException e) {
        // Ill-typed by chance; the generator aims for well-typed text only loosely.
      }
    }
    assertThat(conditions).hasSizeGreaterThan(300);
    long failuresBefore = CompiledCondition.INTERNAL_FAILURES.sum();
    int[] seen = new int[Truth.values().length];
    for (int i = 0; i < 2_000; i++) {
      Message m = randomMessage(r);
      for (Condition c : conditions) {
        Truth t = c.evaluate(m);
        assertThat(t).as("seed %d: %s on %s", SEED, c.text(), m).isNotNull();
        seen[t.ordinal()]++;
      }
    }
    assertThat(CompiledCondition.INTERNAL_FAILURES.sum()).as("seed %d", SEED).isEqualTo(failuresBefore);
    // Every value is reached, so the messages really exercise the conditions.
    assertThat(java.util.Arrays.stream(seen).min().orElse(0)).as("least-seen value count").isPositive();
  }

  private static String randomText(Random r) {
    StringBuilder sb = new StringBuilder();
    if (r.nextInt(3) > 0) {
      sb.append("FROM /messages/* WHERE ");
    }
    int n = r.nextInt(25);
    for (int i = 0; i < n; i++) {
      if (r.nextInt(10) == 0) {
        sb.append((char) r.nextInt(0x3000));
      } else {
        sb.append(VOCABULARY[r.nextInt(VOCABULARY.length)]);
      }
      if (r.nextBoolean()) {
        sb.append(' ');
      }
    }
    if (r.nextInt(3) > 0) {
      sb.append(" INTO $upstream");
    }
    return sb.toString();
  }

  private static Message randomMessage(Random r) {
    Message.Builder b = Message.builder();
    String[] sources = {"/messages", "/messages/modules/m1", "/twinChangeNotifications", "/x"};
    b.source(sources[r.nextInt(sources.length)]);
    String[] names = {"prop", "p2", "PROP", "$body.a", "$connectionModuleId", "$messageId", "x"};
    String[] values = {null, "", "1", "-2.5", "abc", "true", "1e999", "NaN", "é", "0x1F"};
    for (int i = r.nextInt(5); i > 0; i--) {
      b.property(names[r.nextInt(names.length)], values[r.nextInt(values.length)]);
    }
    for (SystemProperty p : SystemProperty.values()) {
      if (r.nextInt(4) == 0) {
        b.systemProperty(p, values[r.nextInt(values.length)]);
      }
    }
    String[] types = {"application/json", "APPLICATION/JSON; charset=utf-8", "text/plain", "application/json;"};
    String[] encodings = {"utf-8", "UTF-16", "utf-32", "latin1", ""};
    if (r.nextInt(4) > 0) {
      b.systemProperty(SystemProperty.CONTENT_TYPE, types[r.nextInt(types.length)]);
      b.systemProperty(SystemProperty.CONTENT_ENCODING, encodings[r.nextInt(encodings.length)]);
    }
    switch (r.nextInt(5)) {
      case 0:
        byte[] junk = new byte[r.nextInt(64)];
        r.nextBytes(junk);
        b.body(junk);
        break;
      case 1:
        b.body("[".repeat(r.nextInt(2000)));
        break;
      default:
        String json = randomJson(r, 0);
        b.body(json.getBytes(r.nextBoolean() ? StandardCharsets.UTF_8 : StandardCharsets.UTF_16));
    }
    return b.build();
  }

  private static String randomJson(Random r, int depth) {
    switch (depth > 4 ? r.nextInt(5) : r.nextInt(8)) {
      case 0:
        return "null";
      case 1:
        return r.nextBoolean() ? "true" : "false";
      case 2:
        return String.valueOf(r.nextInt(200) - 100) + (r.nextBoolean() ? ".5" : "e400");
      case 3:
        return "\"" + (r.nextBoolean() ? "abc" : "1") + "\"";
      case 4:
        return "\"" + r.nextInt(10) + "\"";
      case 5:
      case 6:
        StringBuilder o = new StringBuilder("{");
        String[] keys = {"a", "b", "x", "w", "t"};
        for (int i = r.nextInt(4); i > 0; i--) {
          o.append('"').append(keys[r.nextInt(keys.length)]).append("\":").append(randomJson(r, depth + 1));
          o.append(i > 1 ? "," : "");
        }
        return o.append('}').toString();
      default:
        StringBuilder a = new StringBuilder("[");
        for (int i = r.nextInt(4); i > 0; i--) {
          a.append(randomJson(r, depth + 1)).append(i > 1 ? "," : "");
        }
        return a.append(']').toString();
    }
  }

  /** Generates condition text aimed at the right types, so most of it compiles. */
  private static final class ExprGen {
    private final Random r;

    ExprGen(Random r) {
      this.r = r;
    }

    private String pick(String... xs) {
      return xs[r.nextInt(xs.length)];
    }

    String bool(int d) {
      if (d > 4) {
        return pick("true", "false", "null", "undefined", "$body.a", "is_defined(prop)");
      }
      switch (r.nextInt(9)) {
        case 0:
          return str(d + 1) + pick(" = ", " != ", " <> ", " < ", " >= ") + str(d + 1);
        case 1:
          return num(d + 1) + pick(" = ", " > ", " <= ") + num(d + 1);
        case 2:
          return bool(d + 1) + pick(" AND ", " OR ", " and ") + bool(d + 1);
        case 3:
          return "NOT " + bool(d + 1);
        case 4:
          return pick("is_defined", "is_null", "is_bool", "is_number", "is_string", "is_array", "is_object", "is_primitive")
              + "(" + pick(str(d + 1), num(d + 1), "$body.a", "$body.w.t", "$body.a[1]") + ")";
        case 5:
          return pick("starts_with", "ends_with", "contains") + "(" + str(d + 1) + ", " + str(d + 1) + ")";
        case 6:
          return "(" + bool(d + 1) + " ?? " + bool(d + 1) + ")";
        case 7:
          return "twin_change_includes('properties.reported." + pick("a", "a.b", "x[0]") + "')";
        default:
          return pick("true", "false", "null", "undefined", "$body.b", "{$body.a}");
      }
    }

    String num(int d) {
      if (d > 4) {
        return pick("1", "0", "-1.5", "0x10", "1e308", "$body.t");
      }
      switch (r.nextInt(7)) {
        case 0:
          return num(d + 1) + pick(" + ", " - ", " * ", " / ", " % ") + num(d + 1);
        case 1:
          return "-" + num(d + 1);
        case 2:
          return pick("abs", "exp", "square", "ceiling", "floor", "sign", "sqrt") + "(" + num(d + 1) + ")";
        case 3:
          return "power(" + num(d + 1) + ", " + num(d + 1) + ")";
        case 4:
          return pick("as_number(", "length(") + str(d + 1) + ")";
        case 5:
          return "index_of(" + str(d + 1) + ", " + str(d + 1) + ")";
        default:
          return pick("0", "3", "1e400", "-0", "$body.w.t", "$body.a[0]", "null");
      }
    }

    String str(int d) {
      if (d > 4) {
        return pick("prop", "'1'", "$messageId", "$body.x");
      }
      switch (r.nextInt(6)) {
        case 0:
          return str(d + 1) + " || " + str(d + 1);
        case 1:
          return "concat(" + str(d + 1) + ", " + str(d + 1) + ", " + str(d + 1) + ")";
        case 2:
          return pick("lower(", "upper(") + str(d + 1) + ")";
        case 3:
          return "substring(" + str(d + 1) + ", " + num(d + 1) + (r.nextBoolean() ? ", " + num(d + 1) : "") + ")";
        case 4:
          return "(" + str(d + 1) + " ?? " + str(d + 1) + ")";
        default:
          return pick("prop", "p2", "PROP", "'abc'", "''", "$connectionModuleId", "{$messageId}", "$body.a", "$dt-subject", "x");
      }
    }
  }
}

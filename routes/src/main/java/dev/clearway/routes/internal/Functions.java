package dev.clearway.routes.internal;

import static dev.clearway.routes.internal.Values.FALSE;
import static dev.clearway.routes.internal.Values.NULL;
import static dev.clearway.routes.internal.Values.TRUE;
import static dev.clearway.routes.internal.Values.UNDEFINED;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The built-in functions (ROUTES.md, "Functions"): names ignore case; arity and argument types are
 * checked at compile time; at run time a missing or ill-typed argument gives undefined.
 */
final class Functions {

  /** How one function turns its compiled arguments into a node. */
  @FunctionalInterface
  interface Maker {
    Node make(List<Typed> args, Context ctx);
  }

  /** What a function may need to know about the route it is compiled in. */
  interface Context {
    boolean twinChangeRoute();
  }

  /**
   * One function's signature: {@code params[i]} is the type of argument i; with {@code max == -1}
   * the last parameter type repeats.
   */
  record Fn(String name, int min, int max, Type[] params, Type result, Maker maker) {
    Type param(int i) {
      return params[Math.min(i, params.length - 1)];
    }

    String arity() {
      if (max < 0) {
        return min + " or more arguments";
      }
      if (min == max) {
        return min == 1 ? "1 argument" : min + " arguments";
      }
      return min + " or " + max + " arguments";
    }
  }

  private static final Map<String, Fn> ALL = new TreeMap<>();

  static {
    math("abs", Math::abs);
    math("exp", Math::exp);
    math("square", x -> x * x);
    math("ceiling", Math::ceil);
    math("floor", Math::floor);
    math("sign", Math::signum);
    math("sqrt", Math::sqrt); // NaN for a negative argument, which is undefined
    add("power", 2, 2, Type.NUMBER, a -> num2(a, Math::pow), Type.NUMBER, Type.NUMBER);
    add("as_number", 1, 1, Type.NUMBER, a -> asNumber(a.get(0).node()), Type.STRING);

    typeTest("is_bool", v -> v instanceof Boolean);
    typeTest("is_defined", v -> v != UNDEFINED);
    typeTest("is_null", v -> v == NULL);
    typeTest("is_number", v -> v instanceof Double d && Double.isFinite(d));
    typeTest("is_string", v -> v instanceof String);
    // better (ROUTES.md): IoT Hub's is_array/is_object/is_primitive; they look at the raw JSON.
    jsonTest("is_array", JsonNode::isArray, v -> false);
    jsonTest("is_object", JsonNode::isObject, v -> false);
    jsonTest("is_primitive", n -> !n.isContainerNode(), v -> v != UNDEFINED);

    add("concat", 2, -1, Type.STRING, Functions::concat, Type.STRING);
    add("length", 1, 1, Type.NUMBER, a -> str(a, 0, s -> (double) s.length()), Type.STRING);
    add("lower", 1, 1, Type.STRING, a -> str(a, 0, s -> s.toLowerCase(Locale.ROOT)), Type.STRING);
    add("upper", 1, 1, Type.STRING, a -> str(a, 0, s -> s.toUpperCase(Locale.ROOT)), Type.STRING);
    add("substring", 2, 3, Type.STRING, Functions::substring, Type.STRING, Type.NUMBER);
    add("index_of", 2, 2, Type.NUMBER, a -> str2(a, (s, t) -> (double) s.indexOf(t)), Type.STRING);
    add("starts_with", 2, 2, Type.BOOL, a -> str2(a, String::startsWith), Type.STRING);
    add("ends_with", 2, 2, Type.BOOL, a -> str2(a, String::endsWith), Type.STRING);
    add("contains", 2, 2, Type.BOOL, a -> str2(a, String::contains), Type.STRING);
    ALL.put(
        "twin_change_includes",
        new Fn("twin_change_includes", 1, 1, new Type[] {Type.STRING}, Type.BOOL, TwinChange::make));
  }

  private Functions() {}

  static Fn lookup(String name) {
    return ALL.get(name.toLowerCase(Locale.ROOT));
  }

  static String names() {
    return String.join(", ", ALL.keySet());
  }

  private static void add(
      String name, int min, int max, Type result, Function<List<Typed>, Node> f, Type... params) {
    ALL.put(name, new Fn(name, min, max, params, result, (args, ctx) -> f.apply(args)));
  }

  private static void math(String name, DoubleUnaryOperator op) {
    add(
        name,
        1,
        1,
        Type.NUMBER,
        a -> {
          Node x = a.get(0).node();
          return m -> x.eval(m) instanceof Double d ? Values.num(op.applyAsDouble(d)) : UNDEFINED;
        },
        Type.NUMBER);
  }

  private static Node num2(List<Typed> a, DoubleBinaryOperator op) {
    Node x = a.get(0).node();
    Node y = a.get(1).node();
    return m ->
        x.eval(m) instanceof Double p && y.eval(m) instanceof Double q
            ? Values.num(op.applyAsDouble(p, q))
            : UNDEFINED;
  }

  private static Node asNumber(Node x) {
    return m -> {
      Object v = x.eval(m);
      if (v instanceof Double) {
        return v;
      }
      // Not a number: undefined; overflow: parseDouble already gives ±Infinity.
      return v instanceof String s && isDecimal(s) ? Values.num(Double.parseDouble(s)) : UNDEFINED;
    };
  }

  /**
   * A number as as_number reads it: optional blanks, sign, digits with an optional fraction, an
   * optional exponent. Checked by hand because Double.parseDouble also takes "NaN", "Infinity",
   * hex floats and a trailing 'd'. (A regex did the same at several times the cost.)
   */
  static boolean isDecimal(String s) {
    int i = 0;
    int n = s.length();
    while (i < n && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    while (n > i && Character.isWhitespace(s.charAt(n - 1))) {
      n--;
    }
    if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
    }
    int digits = 0;
    while (i < n && isDigit(s.charAt(i))) {
      i++;
      digits++;
    }
    if (i < n && s.charAt(i) == '.') {
      i++;
      while (i < n && isDigit(s.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return false;
    }
    if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int exp = i;
      while (i < n && isDigit(s.charAt(i))) {
        i++;
      }
      if (i == exp) {
        return false;
      }
    }
    return i == n;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static void typeTest(String name, Predicate<Object> test) {
    add(
        name,
        1,
        1,
        Type.BOOL,
        a -> {
          Node x = a.get(0).node();
          return m -> Values.bool(test.test(x.eval(m)));
        },
        Type.ANY);
  }

  private static void jsonTest(String name, Predicate<JsonNode> onJson, Predicate<Object> other) {
    add(
        name,
        1,
        1,
        Type.BOOL,
        a -> {
          Node x = a.get(0).node();
          if (x instanceof BodyQuery q) {
            // The raw node: a body object or array is undefined as a value, but has a shape here.
            return m -> {
              Object v = q.eval(m);
              if (v != UNDEFINED) {
                return Values.bool(other.test(v)); // an application property won, or a primitive
              }
              JsonNode n = q.resolve(m);
              return Values.bool(n != null && onJson.test(n));
            };
          }
          return m -> Values.bool(other.test(x.eval(m)));
        },
        Type.ANY);
  }

  private static Node str(List<Typed> a, int i, Function<String, Object> f) {
    Node x = a.get(i).node();
    return m -> x.eval(m) instanceof String s ? f.apply(s) : UNDEFINED;
  }

  private static Node str2(List<Typed> a, BiFunction<String, String, Object> f) {
    Node x = a.get(0).node();
    Node y = a.get(1).node();
    return m ->
        x.eval(m) instanceof String s && y.eval(m) instanceof String t ? f.apply(s, t) : UNDEFINED;
  }

  /** concat: a null argument counts as '', an undefined (or non-string) one makes it undefined. */
  private static Node concat(List<Typed> a) {
    Node[] xs = a.stream().map(Typed::node).toArray(Node[]::new);
    return m -> {
      StringBuilder sb = new StringBuilder();
      for (Node x : xs) {
        Object v = x.eval(m);
        if (v instanceof String s) {
          sb.append(s);
        } else if (v != NULL) {
          return UNDEFINED;
        }
      }
      return sb.toString();
    };
  }

  /** substring(s, start[, length]): whole-number bounds inside the string, else undefined. */
  private static Node substring(List<Typed> a) {
    Node s = a.get(0).node();
    Node start = a.get(1).node();
    Node length = a.size() > 2 ? a.get(2).node() : null;
    return m -> {
      if (!(s.eval(m) instanceof String str) || !(start.eval(m) instanceof Double b)) {
        return UNDEFINED;
      }
      double from = b;
      double n = str.length() - from;
      if (length != null) {
        if (!(length.eval(m) instanceof Double l)) {
          return UNDEFINED;
        }
        n = l;
      }
      boolean whole = from == Math.rint(from) && n == Math.rint(n);
      if (!whole || from < 0 || n < 0 || from + n > str.length()) {
        return UNDEFINED;
      }
      return str.substring((int) from, (int) (from + n));
    };
  }

  /**
   * twin_change_includes('properties.reported.a.b'): true when the path is in the notification's
   * body, the reported-property patch as JSON; false when absent or null. The path prefixes are
   * those IoT Edge's hub accepts; a patch holds only reported properties, so the desired and tags
   * prefixes compile (pasted routes keep working) but are never true.
   */
  static final class TwinChange {
    private static final String REPORTED = "properties.reported.";
    private static final String[] PREFIXES = {REPORTED, "properties.desired.", "tags."};

    private TwinChange() {}

    static Node make(List<Typed> args, Context ctx) {
      Typed arg = args.get(0);
      if (!ctx.twinChangeRoute()) {
        throw new SyntaxError(
            arg.start(),
            "twin_change_includes is only allowed on routes FROM /twinChangeNotifications");
      }
      if (!(arg.node() instanceof Constant c) || !(c.value() instanceof String path)) {
        throw new SyntaxError(arg.start(), "twin_change_includes expects a string literal path");
      }
      String folded = path.toLowerCase(Locale.ROOT);
      String prefix = null;
      for (String p : PREFIXES) {
        if (folded.startsWith(p) && folded.length() > p.length()) {
          prefix = p;
        }
      }
      if (prefix == null) {
        throw new SyntaxError(
            arg.start(),
            "expected a path starting with properties.reported., properties.desired. or tags.");
      }
      BodyPath parsed;
      try {
        parsed = (BodyPath) new Lexer("$body." + path, 0).next().value();
      } catch (SyntaxError e) {
        throw new SyntaxError(arg.start(), "bad twin_change_includes path: " + e.getMessage());
      }
      if (!prefix.equals(REPORTED)) {
        // The body of a notification is the reported-property patch: nothing else is in it.
        return m -> m.jsonBody().isPresent() ? FALSE : UNDEFINED;
      }
      List<BodyPath.Segment> rest = parsed.segments().subList(2, parsed.segments().size());
      String[] names = rest.stream().map(BodyPath.Segment::name).toArray(String[]::new);
      int[] indexes = rest.stream().mapToInt(BodyPath.Segment::index).toArray();
      return m -> {
        if (m.jsonBody().isEmpty()) {
          return UNDEFINED;
        }
        JsonNode n = BodyQuery.walk(m.jsonBody().get(), names, indexes);
        return n.isMissingNode() || n.isNull() ? FALSE : TRUE;
      };
    }
  }
}

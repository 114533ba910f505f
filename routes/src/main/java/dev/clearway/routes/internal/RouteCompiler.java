package dev.clearway.routes.internal;

import dev.clearway.routes.Condition;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.RouteCompileException;
import dev.clearway.routes.RouteError;
import dev.clearway.routes.RouteLanguageSettings;
import dev.clearway.routes.RouteSpec;
import dev.clearway.routes.RoutingRule;
import dev.clearway.routes.internal.Token.Kind;
import java.util.List;

/**
 * The entry point of the compiler for the public API: route text in, a {@link RoutingRule} or a
 * {@link RouteCompileException} out. No other exception escapes.
 */
public final class RouteCompiler {

  private static final String SINKS =
      "$upstream or BrokeredEndpoint(\"/modules/{moduleId}/inputs/{input}\")";

  private RouteCompiler() {}

  /** Compiles {@code [SELECT *] FROM <source> [WHERE <condition>] INTO <sink>}. */
  public static RoutingRule compileRule(RouteSpec spec, RouteLanguageSettings limits) {
    String text = spec.text();
    try {
      checkLength(text, limits);
      Lexer lexer = new Lexer(text, 0);
      Token t = lexer.next();
      boolean select = t.isWord("SELECT");
      if (select) {
        Token star = lexer.next();
        if (star.kind() != Kind.STAR) {
          throw new SyntaxError(star.start(), "expected '*' after SELECT (only SELECT * exists)");
        }
        t = lexer.next();
      }
      if (!t.isWord("FROM")) {
        throw new SyntaxError(
            t.start(),
            "expected " + (select ? "FROM" : "FROM (or SELECT * FROM)") + ", found " + t.describe(text));
      }
      Token src = lexer.rawWord();
      String source = (String) src.value();
      if (source.isEmpty() || source.charAt(0) != '/') {
        throw new SyntaxError(
            src.start(),
            "expected a source path starting with '/', such as /messages/*, found " + src.describe(text));
      }
      boolean twin = RoutingRule.sourceKey(source).startsWith("/twinchangenotifications/");
      Parser p = new Parser(text, lexer.position(), limits.maxNestingDepth(), twin);
      Condition condition = CompiledCondition.ALWAYS;
      if (p.current().isWord("WHERE")) {
        p.advance();
        condition = condition(text, p, "INTO");
        if (!p.current().isWord("INTO")) {
          throw new SyntaxError(
              p.current().start(),
              "expected an operator or INTO after the condition, found " + p.current().describe(text));
        }
      } else if (!p.current().isWord("INTO")) {
        throw new SyntaxError(
            p.current().start(), "expected WHERE or INTO after the source, found " + p.current().describe(text));
      }
      p.advance();
      Endpoint sink = sink(text, p);
      // better (ROUTES.md): anything after the sink is an error; the reference hub drops it silently.
      if (p.current().kind() != Kind.EOF) {
        throw new SyntaxError(
            p.current().start(),
            "expected the end of the route after the sink, found " + p.current().describe(text));
      }
      return new RoutingRule(spec, source, condition, sink);
    } catch (SyntaxError e) {
      throw new RouteCompileException(List.of(error(spec.name(), text, e)));
    }
  }

  /** Compiles a condition alone; errors name the route {@code condition}. */
  public static Condition compileCondition(String text, RouteLanguageSettings limits) {
    try {
      checkLength(text, limits);
      Parser p = new Parser(text, 0, limits.maxNestingDepth(), true);
      Condition c = condition(text, p, null);
      if (p.current().kind() != Kind.EOF) {
        throw new SyntaxError(
            p.current().start(),
            "expected an operator or the end of the condition, found " + p.current().describe(text));
      }
      return c;
    } catch (SyntaxError e) {
      throw new RouteCompileException(List.of(error("condition", text, e)));
    }
  }

  private static Condition condition(String text, Parser p, String stopWord) {
    Token first = p.current();
    if (first.kind() == Kind.EOF || stopWord != null && first.isWord(stopWord)) {
      throw new SyntaxError(first.start(), "expected a condition, found " + first.describe(text));
    }
    Typed c = p.condition();
    String conditionText = text.substring(first.start(), p.current().start()).trim();
    return new CompiledCondition(conditionText, c.node());
  }

  private static void checkLength(String text, RouteLanguageSettings limits) {
    if (text.length() > limits.maxRouteLength()) {
      throw new SyntaxError(
          limits.maxRouteLength(),
          "longer than "
              + limits.maxRouteLength()
              + " characters (clearway.route-language.max-route-length)");
    }
  }

  /** ROUTES.md, "Sinks". */
  private static Endpoint sink(String text, Parser p) {
    Token t = p.current();
    if (t.kind() == Kind.SYSPROP && ((String) t.value()).equalsIgnoreCase("upstream")) {
      p.advance();
      return Endpoint.UPSTREAM;
    }
    if (!t.isWord("BrokeredEndpoint")) {
      throw new SyntaxError(t.start(), "expected a sink, " + SINKS + ", found " + t.describe(text));
    }
    p.advance();
    p.expect(Kind.LPAREN, "'(' after BrokeredEndpoint");
    Token path = p.current();
    if (path.kind() != Kind.STRING) {
      throw new SyntaxError(
          path.start(), "expected a quoted path \"/modules/{moduleId}/inputs/{input}\", found " + path.describe(text));
    }
    p.advance();
    p.expect(Kind.RPAREN, "')'");
    // better (ROUTES.md): the segments `modules` and `inputs` are checked.
    String s = (String) path.value();
    String[] parts = s.startsWith("/") ? s.substring(1).split("/", -1) : new String[0];
    if (parts.length != 4
        || !parts[0].equalsIgnoreCase("modules")
        || !parts[2].equalsIgnoreCase("inputs")
        || !validName(parts[1])
        || !validName(parts[3])) {
      throw new SyntaxError(
          path.start(), "expected \"/modules/{moduleId}/inputs/{input}\", found \"" + s + "\"");
    }
    return new Endpoint.ModuleInput(parts[1], parts[3]);
  }

  private static boolean validName(String s) {
    return !s.isEmpty() && s.chars().noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c));
  }

  /** Turns an offset into line, column and the line's text for the caret display. */
  static RouteError error(String routeName, String text, SyntaxError e) {
    int offset = Math.min(Math.max(e.offset, 0), text.length());
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    int lineEnd = text.indexOf('\n', lineStart);
    String lineText = text.substring(lineStart, lineEnd < 0 ? text.length() : lineEnd);
    if (lineText.endsWith("\r")) {
      lineText = lineText.substring(0, lineText.length() - 1);
    }
    return new RouteError(routeName, line, offset - lineStart + 1, lineText, e.getMessage());
  }
}

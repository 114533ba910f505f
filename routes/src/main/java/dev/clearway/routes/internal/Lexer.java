package dev.clearway.routes.internal;

import dev.clearway.routes.SystemProperty;
import dev.clearway.routes.internal.Token.Kind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Splits route text into tokens on demand, from any offset (the source path is read raw). */
final class Lexer {

  /** System property names with a hyphen, folded: {@code $dt-subject} lexes as one name. */
  private static final List<String> HYPHENATED =
      Stream.of(SystemProperty.values())
          .map(p -> p.propertyName().toLowerCase(Locale.ROOT))
          .filter(n -> n.indexOf('-') >= 0)
          .toList();

  private final String text;
  private int pos;

  Lexer(String text, int pos) {
    this.text = text;
    this.pos = pos;
  }

  int position() {
    return pos;
  }

  void reset(int position) {
    this.pos = position;
  }

  /** Skips blanks only, then reads a run of non-blank characters (the route source). */
  Token rawWord() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
    int start = pos;
    while (pos < text.length() && !Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
    return new Token(Kind.IDENT, start, pos, text.substring(start, pos));
  }

  Token next() {
    skipBlanksAndComments();
    int start = pos;
    if (pos >= text.length()) {
      return new Token(Kind.EOF, start, start, null);
    }
    char c = text.charAt(pos);
    if (isIdentStart(c)) {
      String word = ident();
      return new Token(keyword(word), start, pos, word);
    }
    if (isDigit(c) || c == '.' && pos + 1 < text.length() && isDigit(text.charAt(pos + 1))) {
      return new Token(Kind.NUMBER, start, pos, number());
    }
    switch (c) {
      case '\'':
      case '"':
        return new Token(Kind.STRING, start, pos, string(c));
      case '$':
        return dollar(start, false);
      case '{':
        return braced(start);
      case '(':
        return single(Kind.LPAREN);
      case ')':
        return single(Kind.RPAREN);
      case ',':
        return single(Kind.COMMA);
      case '*':
        return single(Kind.STAR);
      case '/':
        return single(Kind.SLASH);
      case '%':
        return single(Kind.PERCENT);
      case '+':
        return single(Kind.PLUS);
      case '-':
        return single(Kind.MINUS);
      case '|':
        return pair('|', Kind.CONCAT, "'||' (string concatenation)");
      case '?':
        return pair('?', Kind.COALESCE, "'??'");
      case '!':
        return pair('=', Kind.NE, "'!='");
      case '=':
        return optional('=', Kind.EQEQ, Kind.EQ);
      case '>':
        return optional('=', Kind.GE, Kind.GT);
      case '<':
        if (at(pos + 1, '>')) {
          pos += 2;
          return new Token(Kind.NE, start, pos, null);
        }
        return optional('=', Kind.LE, Kind.LT);
      default:
        throw new SyntaxError(start, "unexpected character '" + printable(c) + "'");
    }
  }

  private Token single(Kind kind) {
    pos++;
    return new Token(kind, pos - 1, pos, null);
  }

  private Token pair(char second, Kind kind, String expected) {
    if (!at(pos + 1, second)) {
      throw new SyntaxError(pos, "expected " + expected);
    }
    pos += 2;
    return new Token(kind, pos - 2, pos, null);
  }

  private Token optional(char second, Kind both, Kind one) {
    int start = pos;
    pos += at(pos + 1, second) ? 2 : 1;
    return new Token(pos - start == 2 ? both : one, start, pos, null);
  }

  private static Kind keyword(String word) {
    // ROUTES.md: literals are lower case only; TRUE is a property name.
    switch (word) {
      case "true":
        return Kind.TRUE;
      case "false":
        return Kind.FALSE;
      case "null":
        return Kind.NULL;
      case "undefined":
        return Kind.UNDEFINED;
      default:
        return Kind.IDENT;
    }
  }

  private void skipBlanksAndComments() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (Character.isWhitespace(c)) {
        pos++;
      } else if (c == '/' && at(pos + 1, '*')) {
        int close = text.indexOf("*/", pos + 2);
        if (close < 0) {
          throw new SyntaxError(pos, "unterminated comment: expected '*/'");
        }
        pos = close + 2;
      } else {
        return;
      }
    }
  }

  private String ident() {
    int start = pos;
    while (pos < text.length() && isIdentPart(text.charAt(pos))) {
      pos++;
    }
    return text.substring(start, pos);
  }

  private Double number() {
    int start = pos;
    if (text.charAt(pos) == '0' && (at(pos + 1, 'x') || at(pos + 1, 'X'))) {
      pos += 2;
      int digits = pos;
      while (pos < text.length() && Character.digit(text.charAt(pos), 16) >= 0) {
        pos++;
      }
      if (pos == digits) {
        throw new SyntaxError(pos, "expected hexadecimal digits after '0x'");
      }
      noLetterAfterNumber();
      return new BigInteger(text.substring(digits, pos), 16).doubleValue();
    }
    digits();
    if (at(pos, '.')) {
      pos++;
      digits();
    }
    if (at(pos, 'e') || at(pos, 'E')) {
      pos++;
      if (at(pos, '+') || at(pos, '-')) {
        pos++;
      }
      if (pos >= text.length() || !isDigit(text.charAt(pos))) {
        throw new SyntaxError(pos, "expected the digits of an exponent");
      }
      digits();
    }
    noLetterAfterNumber();
    return Double.valueOf(text.substring(start, pos));
  }

  private void digits() {
    while (pos < text.length() && isDigit(text.charAt(pos))) {
      pos++;
    }
  }

  private void noLetterAfterNumber() {
    if (pos < text.length() && (isIdentPart(text.charAt(pos)) || text.charAt(pos) == '.')) {
      throw new SyntaxError(pos, "unexpected '" + printable(text.charAt(pos)) + "' after a number");
    }
  }

  private String string(char quote) {
    int start = pos++;
    StringBuilder sb = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      // ROUTES.md: the escapes are \' \" \\ and \\uXXXX, nothing else.
      char e = pos < text.length() ? text.charAt(pos) : quote;
      if (e == '\'' || e == '"' || e == '\\') {
        sb.append(e);
        pos++;
      } else if (e == 'u' && pos + 5 <= text.length() && isHex4(pos + 1)) {
        sb.append((char) Integer.parseInt(text.substring(pos + 1, pos + 5), 16));
        pos += 5;
      } else {
        throw new SyntaxError(pos - 1, "unknown escape: expected \\' \\\" \\\\ or \\uXXXX");
      }
    }
    throw new SyntaxError(start, "unterminated string: expected a closing " + quote);
  }

  private boolean isHex4(int from) {
    for (int i = from; i < from + 4; i++) {
      if (Character.digit(text.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /** {@code $name} or {@code $body.path}; {@code start} is where the token began ({ or $). */
  private Token dollar(int start, boolean braced) {
    pos++; // '$'
    int nameStart = pos;
    if (pos >= text.length() || !isIdentPart(text.charAt(pos))) {
      throw new SyntaxError(pos, "expected a system property name after '$'");
    }
    String name = ident();
    if (name.equalsIgnoreCase("body")) {
      return new Token(Kind.BODY, start, pos, bodyPath(nameStart - 1, braced));
    }
    name = hyphenated(name);
    return new Token(braced ? Kind.BRACED_SYSPROP : Kind.SYSPROP, start, pos, name);
  }

  /** Extends {@code dt} to {@code dt-subject} and the like, but leaves {@code $a-1} a subtraction. */
  private String hyphenated(String name) {
    while (at(pos, '-') && pos + 1 < text.length() && isIdentStart(text.charAt(pos + 1))) {
      int save = pos;
      pos++;
      String longer = name + "-" + ident();
      String folded = longer.toLowerCase(Locale.ROOT);
      if (HYPHENATED.stream().noneMatch(h -> h.startsWith(folded))) {
        pos = save;
        return name;
      }
      name = longer;
    }
    return name;
  }

  private Token braced(int start) {
    pos++;
    skipBlanksAndComments();
    if (!at(pos, '$')) {
      throw new SyntaxError(pos, "expected $name or $body.path inside { }");
    }
    Token inner = dollar(start, true);
    skipBlanksAndComments();
    if (!at(pos, '}')) {
      throw new SyntaxError(pos, "expected '}'");
    }
    pos++;
    return new Token(inner.kind(), start, pos, inner.value());
  }

  /** ROUTES.md, "Body queries": dot-separated names, each with at most one [n]; nothing else. */
  private BodyPath bodyPath(int dollarAt, boolean braced) {
    if (!at(pos, '.')) {
      throw new SyntaxError(pos, "expected '.' and a path after $body ($body alone is not a query)");
    }
    List<BodyPath.Segment> segments = new ArrayList<>();
    while (at(pos, '.')) {
      pos++;
      if (pos >= text.length() || !isIdentStart(text.charAt(pos))) {
        throw new SyntaxError(pos, "expected a property name after '.' in the $body path");
      }
      String name = ident();
      int index = -1;
      if (at(pos, '[')) {
        int open = pos++;
        int digits = pos;
        digits();
        if (pos == digits) {
          throw new SyntaxError(pos, "expected an index number inside [ ] in the $body path");
        }
        if (!at(pos, ']')) {
          throw new SyntaxError(pos, "expected ']' (slices and filters are not supported)");
        }
        pos++;
        if (pos - open > 11) {
          throw new SyntaxError(open, "index too large in the $body path");
        }
        index = Integer.parseInt(text.substring(digits, pos - 1));
        if (at(pos, '[')) {
          throw new SyntaxError(pos, "at most one [n] index per name in the $body path");
        }
      }
      segments.add(new BodyPath.Segment(name, index));
    }
    if (at(pos, '[')) {
      throw new SyntaxError(pos, "expected a name before '[' in the $body path");
    }
    return new BodyPath(text.substring(dollarAt, pos), List.copyOf(segments), braced);
  }

  private boolean at(int i, char c) {
    return i < text.length() && text.charAt(i) == c;
  }

  static boolean isIdentStart(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_';
  }

  static boolean isIdentPart(char c) {
    return isIdentStart(c) || isDigit(c);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static String printable(char c) {
    return c < ' ' || c > '~' ? String.format("\\u%04x", (int) c) : String.valueOf(c);
  }
}

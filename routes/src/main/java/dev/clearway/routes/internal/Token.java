package dev.clearway.routes.internal;

/**
 * One token of route text.
 *
 * @param value the number (Double), string contents, property name without {@code $}, or BodyPath
 */
record Token(Kind kind, int start, int end, Object value) {

  enum Kind {
    IDENT, SYSPROP, BRACED_SYSPROP, BODY, NUMBER, STRING, TRUE, FALSE, NULL, UNDEFINED,
    LPAREN, RPAREN, COMMA, STAR, SLASH, PERCENT, PLUS, MINUS, CONCAT,
    LT, LE, GT, GE, EQ, NE, EQEQ, COALESCE, EOF
  }

  /** Whether this is the identifier {@code word}, ignoring case (keywords are case-insensitive). */
  boolean isWord(String word) {
    return kind == Kind.IDENT && ((String) value).equalsIgnoreCase(word);
  }

  /** How the token reads in an error message. */
  String describe(String text) {
    if (kind == Kind.EOF) {
      return "the end of the route";
    }
    String s = text.substring(start, Math.min(end, start + 40));
    return "'" + s + (end - start > 40 ? "…" : "") + "'";
  }
}

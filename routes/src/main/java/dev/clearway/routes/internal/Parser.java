package dev.clearway.routes.internal;

import dev.clearway.routes.PropertyKey;
import dev.clearway.routes.SystemProperty;
import dev.clearway.routes.internal.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Parses and type-checks a condition in one pass, building the closure tree as it goes (recursive
 * descent, one method per precedence level of ROUTES.md, "Operators, tightest first").
 */
final class Parser implements Functions.Context {

  private final String text;
  private final Lexer lexer;
  private final int maxDepth;
  private final boolean twinChangeRoute;
  private Token tok;
  private int depth;

  Parser(String text, int from, int maxDepth, boolean twinChangeRoute) {
    this.text = text;
    this.lexer = new Lexer(text, from);
    this.maxDepth = maxDepth;
    this.twinChangeRoute = twinChangeRoute;
    this.tok = lexer.next();
  }

  @Override
  public boolean twinChangeRoute() {
    return twinChangeRoute;
  }

  Token current() {
    return tok;
  }

  Token advance() {
    Token t = tok;
    tok = lexer.next();
    return t;
  }

  /** Level 9, the loosest: {@code a ?? b ?? c}, the first defined operand. */
  Typed condition() {
    Typed first = or();
    if (tok.kind() != Kind.COALESCE) {
      return first;
    }
    List<Typed> xs = new ArrayList<>(List.of(first));
    Type type = first.type();
    while (tok.kind() == Kind.COALESCE) {
      Token op = advance();
      Typed next = or();
      // ROUTES.md: ?? wants both sides of one type.
      if (!Type.alike(type, next.type())) {
        throw mismatch(op, "??", type, next.type());
      }
      // A body value may be of any type at run time, so it keeps the result untyped.
      if (type == Type.ANY || next.type() == Type.ANY) {
        type = Type.ANY;
      } else if (type.isLoose() && !next.type().isLoose()) {
        type = next.type();
      }
      xs.add(next);
    }
    return nary(xs, type, Ops.coalesce(nodes(xs)));
  }

  private Typed or() {
    return logical("OR", this::and);
  }

  private Typed and() {
    return logical("AND", this::equality);
  }

  /** AND / OR chains become one n-ary node: flat to evaluate, and no deeper for being long. */
  private Typed logical(String word, java.util.function.Supplier<Typed> operand) {
    Typed first = operand.get();
    if (!tok.isWord(word)) {
      return first;
    }
    List<Typed> xs = new ArrayList<>(List.of(wantBool(first, word)));
    while (tok.isWord(word)) {
      advance();
      xs.add(wantBool(operand.get(), word));
    }
    Node[] ns = nodes(xs);
    return nary(xs, Type.BOOL, word.equals("AND") ? Ops.and(ns) : Ops.or(ns));
  }

  private Typed wantBool(Typed x, String op) {
    if (!x.type().fits(Type.BOOL)) {
      throw new SyntaxError(
          x.start(), op + " wants a boolean operand, got " + x.type().description);
    }
    return x;
  }

  private Typed equality() {
    Typed left = relational();
    while (true) {
      Ops.Cmp cmp;
      switch (tok.kind()) {
        case EQ:
          cmp = Ops.Cmp.EQ;
          break;
        case NE:
          cmp = Ops.Cmp.NE;
          break;
        case EQEQ:
          throw new SyntaxError(tok.start(), "'==' is not an operator: use '=' to compare");
        default:
          return left;
      }
      left = comparison(left, cmp, this::relational);
    }
  }

  private Typed relational() {
    Typed left = additive();
    while (true) {
      Ops.Cmp cmp;
      switch (tok.kind()) {
        case LT:
          cmp = Ops.Cmp.LT;
          break;
        case LE:
          cmp = Ops.Cmp.LE;
          break;
        case GT:
          cmp = Ops.Cmp.GT;
          break;
        case GE:
          cmp = Ops.Cmp.GE;
          break;
        default:
          return left;
      }
      left = comparison(left, cmp, this::additive);
    }
  }

  private Typed comparison(Typed left, Ops.Cmp cmp, java.util.function.Supplier<Typed> operand) {
    Token op = advance();
    Typed right = operand.get();
    // ROUTES.md: comparisons want both sides of the same type (`key2 = 3` is an error).
    if (!Type.alike(left.type(), right.type())) {
      throw mismatch(op, "comparison " + text.substring(op.start(), op.end()), left.type(), right.type());
    }
    return binary(op, left, right, Type.BOOL, Ops.compare(left.node(), right.node(), cmp));
  }

  private Typed additive() {
    Typed left = multiplicative();
    while (true) {
      Kind k = tok.kind();
      if (k != Kind.PLUS && k != Kind.MINUS && k != Kind.CONCAT) {
        return left;
      }
      Token op = advance();
      Typed right = multiplicative();
      if (k == Kind.CONCAT) {
        wantOperand(op, left, Type.STRING);
        wantOperand(op, right, Type.STRING);
        left = binary(op, left, right, Type.STRING, Ops.concat(left.node(), right.node()));
      } else {
        left = arithmetic(op, left, right, k == Kind.PLUS ? Double::sum : (a, b) -> a - b);
      }
    }
  }

  private Typed multiplicative() {
    Typed left = unary();
    while (true) {
      Kind k = tok.kind();
      if (k != Kind.STAR && k != Kind.SLASH && k != Kind.PERCENT) {
        return left;
      }
      Token op = advance();
      Typed right = unary();
      left =
          arithmetic(
              op,
              left,
              right,
              k == Kind.STAR ? (a, b) -> a * b : k == Kind.SLASH ? (a, b) -> a / b : (a, b) -> a % b);
    }
  }

  private Typed arithmetic(
      Token op, Typed left, Typed right, java.util.function.DoubleBinaryOperator f) {
    wantOperand(op, left, Type.NUMBER);
    wantOperand(op, right, Type.NUMBER);
    return binary(op, left, right, Type.NUMBER, Ops.arithmetic(left.node(), right.node(), f));
  }

  private void wantOperand(Token op, Typed x, Type wanted) {
    if (!x.type().fits(wanted)) {
      String o = text.substring(op.start(), op.end());
      throw new SyntaxError(
          x.start(), "'" + o + "' wants " + wanted.description + ", got " + x.type().description);
    }
  }

  /** Level 2: unary minus and NOT, which bind tighter than any binary operator. */
  private Typed unary() {
    enter(tok);
    try {
      if (tok.kind() == Kind.MINUS || tok.isWord("NOT")) {
        Token op = advance();
        Typed x = unary();
        boolean not = op.kind() == Kind.IDENT;
        Type wanted = not ? Type.BOOL : Type.NUMBER;
        if (!x.type().fits(wanted)) {
          throw new SyntaxError(
              x.start(),
              (not ? "NOT" : "unary '-'")
                  + " wants "
                  + wanted.description
                  + ", got "
                  + x.type().description);
        }
        return height(
            new Typed(not ? Ops.not(x.node()) : Ops.negate(x.node()), wanted, op.start(), x.height() + 1));
      }
      return primary();
    } finally {
      depth--;
    }
  }

  private Typed primary() {
    Token t = tok;
    switch (t.kind()) {
      case NUMBER:
        advance();
        return leaf(t, t.value(), Type.NUMBER);
      case STRING:
        advance();
        return leaf(t, t.value(), Type.STRING);
      case TRUE:
        advance();
        return leaf(t, Values.TRUE, Type.BOOL);
      case FALSE:
        advance();
        return leaf(t, Values.FALSE, Type.BOOL);
      case NULL:
        advance();
        return leaf(t, Values.NULL, Type.NULL);
      case UNDEFINED:
        advance();
        return leaf(t, Values.UNDEFINED, Type.UNDEFINED);
      case LPAREN:
        advance();
        Typed inner = condition();
        expect(Kind.RPAREN, "')'");
        return new Typed(inner.node(), inner.type(), t.start(), inner.height());
      case SYSPROP:
      case BRACED_SYSPROP:
        advance();
        return systemProperty(t);
      case BODY:
        advance();
        return new Typed(new BodyQuery((BodyPath) t.value()), Type.ANY, t.start(), 1);
      case IDENT:
        return identifier(t);
      default:
        throw new SyntaxError(t.start(), "expected a value, a property or '(', found " + t.describe(text));
    }
  }

  private Typed identifier(Token t) {
    String name = (String) t.value();
    String upper = name.toUpperCase(Locale.ROOT);
    if (upper.equals("AND") || upper.equals("OR") || upper.equals("NOT") || upper.equals("INTO")) {
      throw new SyntaxError(t.start(), "expected a value, a property or '(', found " + t.describe(text));
    }
    advance();
    if (tok.kind() == Kind.LPAREN) {
      return call(t);
    }
    // ROUTES.md: a bare name is an application property; a missing one is undefined.
    PropertyKey key = PropertyKey.of(name);
    return new Typed(m -> Values.ofProperty(m.property(key)), Type.STRING, t.start(), 1);
  }

  private Typed systemProperty(Token t) {
    String name = (String) t.value();
    Optional<SystemProperty> p = SystemProperty.byName(name);
    if (p.isEmpty()) {
      throw new SyntaxError(
          t.start(), "unknown system property '$" + name + "'; expected one of " + SystemProperty.allNames());
    }
    SystemProperty sp = p.get();
    if (t.kind() == Kind.BRACED_SYSPROP) {
      return new Typed(m -> sys(m.systemProperty(sp)), Type.STRING, t.start(), 1);
    }
    // ROUTES.md: an application property literally named $name wins over the system property.
    PropertyKey literal = PropertyKey.of("$" + name);
    return new Typed(
        m -> {
          var app = m.property(literal);
          return app != null ? Values.ofProperty(app) : sys(m.systemProperty(sp));
        },
        Type.STRING,
        t.start(),
        1);
  }

  private static Object sys(String v) {
    return v == null ? Values.UNDEFINED : v;
  }

  private Typed call(Token nameTok) {
    String name = (String) nameTok.value();
    Functions.Fn fn = Functions.lookup(name);
    if (fn == null) {
      throw new SyntaxError(
          nameTok.start(), "unknown function '" + name + "'; expected one of " + Functions.names());
    }
    Token open = advance(); // '('
    enter(open);
    try {
      List<Typed> args = new ArrayList<>();
      if (tok.kind() != Kind.RPAREN) {
        args.add(condition());
        while (tok.kind() == Kind.COMMA) {
          advance();
          args.add(condition());
        }
      }
      expect(Kind.RPAREN, args.isEmpty() ? "an argument or ')'" : "',' or ')'");
      if (args.size() < fn.min() || fn.max() >= 0 && args.size() > fn.max()) {
        throw new SyntaxError(
            nameTok.start(),
            fn.name() + " takes " + fn.arity() + ", got " + args.size());
      }
      int height = 0;
      for (int i = 0; i < args.size(); i++) {
        Typed a = args.get(i);
        if (!a.type().fits(fn.param(i))) {
          throw new SyntaxError(
              a.start(),
              "argument "
                  + (i + 1)
                  + " of "
                  + fn.name()
                  + " must be "
                  + fn.param(i).description
                  + ", got "
                  + a.type().description);
        }
        height = Math.max(height, a.height());
      }
      return height(new Typed(fn.maker().make(args, this), fn.result(), nameTok.start(), height + 1));
    } finally {
      depth--;
    }
  }

  void expect(Kind kind, String what) {
    if (tok.kind() != kind) {
      throw new SyntaxError(tok.start(), "expected " + what + ", found " + tok.describe(text));
    }
    advance();
  }

  /** Guards the parser's own recursion, so deep input is an error and never a stack overflow. */
  private void enter(Token at) {
    if (++depth > maxDepth) {
      throw tooDeep(at.start());
    }
  }

  private Typed height(Typed t) {
    if (t.height() > maxDepth) {
      throw tooDeep(t.start());
    }
    return t;
  }

  private SyntaxError tooDeep(int offset) {
    return new SyntaxError(
        offset,
        "too deeply nested: more than "
            + maxDepth
            + " levels (clearway.route-language.max-nesting-depth)");
  }

  private Typed leaf(Token t, Object value, Type type) {
    return new Typed(new Constant(value), type, t.start(), 1);
  }

  private Typed binary(Token op, Typed l, Typed r, Type type, Node node) {
    int h = Math.max(l.height(), r.height()) + 1;
    if (h > maxDepth) {
      throw tooDeep(op.start());
    }
    return new Typed(node, type, l.start(), h);
  }

  private Typed nary(List<Typed> xs, Type type, Node node) {
    int h = xs.stream().mapToInt(Typed::height).max().orElse(0) + 1;
    return height(new Typed(node, type, xs.get(0).start(), h));
  }

  private static Node[] nodes(List<Typed> xs) {
    return xs.stream().map(Typed::node).toArray(Node[]::new);
  }

  private SyntaxError mismatch(Token op, String what, Type a, Type b) {
    return new SyntaxError(
        op.start(),
        what + " wants both sides of the same type, got " + a.description + " and " + b.description);
  }
}

package dev.clearway.routes.internal;

import static dev.clearway.routes.internal.Values.FALSE;
import static dev.clearway.routes.internal.Values.NULL;
import static dev.clearway.routes.internal.Values.TRUE;
import static dev.clearway.routes.internal.Values.UNDEFINED;

import java.util.function.DoubleBinaryOperator;

/** The operators as closures (ROUTES.md, "Operators" and "Three-valued logic"). */
final class Ops {
  private Ops() {}

  /** NOT: NOT undefined is undefined; NOT null is true. */
  static Node not(Node x) {
    return m -> {
      Object v = x.eval(m);
      if (v == TRUE) {
        return FALSE;
      }
      return v == FALSE || v == NULL ? TRUE : UNDEFINED;
    };
  }

  static Node negate(Node x) {
    return m -> {
      Object v = x.eval(m);
      if (v instanceof Double d) {
        return -d;
      }
      return v == NULL ? NULL : UNDEFINED;
    };
  }

  /** AND: any false (or null) operand makes it false; else any undefined makes it undefined. */
  static Node and(Node[] xs) {
    return m -> {
      boolean undefined = false;
      for (Node x : xs) {
        Object v = x.eval(m);
        if (v == FALSE || v == NULL) {
          return FALSE;
        }
        undefined |= v != TRUE;
      }
      return undefined ? UNDEFINED : TRUE;
    };
  }

  /** OR: any true operand makes it true; else any undefined makes it undefined. */
  static Node or(Node[] xs) {
    return m -> {
      boolean undefined = false;
      for (Node x : xs) {
        Object v = x.eval(m);
        if (v == TRUE) {
          return TRUE;
        }
        undefined |= v != FALSE && v != NULL;
      }
      return undefined ? UNDEFINED : FALSE;
    };
  }

  /** {@code ??}: the first operand that is defined, else the last. */
  static Node coalesce(Node[] xs) {
    return m -> {
      for (int i = 0; i < xs.length - 1; i++) {
        Object v = xs[i].eval(m);
        if (v != UNDEFINED) {
          return v;
        }
      }
      return xs[xs.length - 1].eval(m);
    };
  }

  /** Arithmetic: numbers only at run time (body values); undefined wins over null. */
  static Node arithmetic(Node l, Node r, DoubleBinaryOperator op) {
    return m -> {
      Object a = l.eval(m);
      Object b = r.eval(m);
      if (a instanceof Double x && b instanceof Double y) {
        return Values.num(op.applyAsDouble(x, y));
      }
      if (a == UNDEFINED || b == UNDEFINED) {
        return UNDEFINED;
      }
      return a == NULL || b == NULL ? NULL : UNDEFINED;
    };
  }

  /** {@code ||}: strings; a null side counts as '' as in concat(); anything else is undefined. */
  static Node concat(Node l, Node r) {
    return m -> {
      Object a = l.eval(m);
      Object b = r.eval(m);
      if (a == NULL) {
        a = "";
      }
      if (b == NULL) {
        b = "";
      }
      return a instanceof String x && b instanceof String y ? x.concat(y) : UNDEFINED;
    };
  }

  enum Cmp {
    EQ, NE, LT, LE, GT, GE;

    Object of(int c) {
      switch (this) {
        case EQ:
          return Values.bool(c == 0);
        case NE:
          return Values.bool(c != 0);
        case LT:
          return Values.bool(c < 0);
        case LE:
          return Values.bool(c <= 0);
        case GT:
          return Values.bool(c > 0);
        default:
          return Values.bool(c >= 0);
      }
    }
  }

  /**
   * Comparisons: an undefined side makes it undefined; null equals null; values of different run-time
   * types never equal each other and are not ordered (ROUTES.md: "a body value never equals a value
   * of another type").
   */
  static Node compare(Node l, Node r, Cmp cmp) {
    return m -> {
      Object a = l.eval(m);
      Object b = r.eval(m);
      if (a == UNDEFINED || b == UNDEFINED) {
        return UNDEFINED;
      }
      if (a instanceof String x && b instanceof String y) {
        return cmp.of(x.compareTo(y));
      }
      if (a instanceof Double x && b instanceof Double y) {
        double p = x;
        double q = y;
        return cmp.of(p < q ? -1 : p > q ? 1 : 0);
      }
      if (a instanceof Boolean x && b instanceof Boolean y) {
        return cmp.of(Boolean.compare(x, y));
      }
      if (a == NULL && b == NULL) {
        return cmp.of(0); // null = null is true, null < null is false

      }
      return cmp == Cmp.NE ? TRUE : FALSE;
    };
  }
}

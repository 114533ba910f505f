package dev.clearway.routes.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.clearway.routes.Message;
import dev.clearway.routes.Truth;

/** Helpers over run-time values. */
final class Values {
  static final Object TRUE = Boolean.TRUE;
  static final Object FALSE = Boolean.FALSE;
  static final Object NULL = Special.NULL;
  static final Object UNDEFINED = Special.UNDEFINED;

  private Values() {}

  /** ROUTES.md: NaN counts as undefined. */
  static Object num(double d) {
    return Double.isNaN(d) ? UNDEFINED : Double.valueOf(d);
  }

  static Object bool(boolean b) {
    return b ? TRUE : FALSE;
  }

  /** A property value: {@code null} stays {@code null}. */
  static Object ofProperty(Message.Property p) {
    if (p == null) {
      return UNDEFINED;
    }
    return p.value() == null ? NULL : p.value();
  }

  /**
   * ROUTES.md, "Body queries": JSON number/string/bool/null map across; a missing path is null; an
   * object or an array is undefined.
   */
  static Object ofJson(JsonNode n) {
    switch (n.getNodeType()) {
      case NUMBER:
        return num(n.doubleValue());
      case STRING:
        return n.textValue();
      case BOOLEAN:
        return bool(n.booleanValue());
      case NULL:
      case MISSING:
        return NULL;
      default:
        return UNDEFINED;
    }
  }

  static Truth truth(Object v) {
    if (v == TRUE) {
      return Truth.TRUE;
    }
    if (v == FALSE) {
      return Truth.FALSE;
    }
    // A bare number or string as a condition is undefined (ROUTES.md, "Three-valued logic").
    return v == NULL ? Truth.NULL : Truth.UNDEFINED;
  }
}

package dev.clearway.routes.internal;

/**
 * Static types (ROUTES.md: "Types are checked when the route is compiled"). {@code null} and
 * {@code undefined} literals fit any type; body queries are {@link #ANY}, typed at run time.
 */
enum Type {
  BOOL("a boolean"),
  NUMBER("a number"),
  STRING("a string"),
  NULL("null"),
  UNDEFINED("undefined"),
  ANY("a body value");

  final String description;

  Type(String description) {
    this.description = description;
  }

  /** Whether the value may be a concrete value of another type only at run time. */
  boolean isLoose() {
    return this == NULL || this == UNDEFINED || this == ANY;
  }

  /** Whether a value of this type may stand where {@code wanted} is expected. */
  boolean fits(Type wanted) {
    return wanted == ANY || this == wanted || isLoose();
  }

  /** Whether two operands count as "the same type" for comparisons and {@code ??}. */
  static boolean alike(Type a, Type b) {
    return a == b || a.isLoose() || b.isLoose();
  }
}

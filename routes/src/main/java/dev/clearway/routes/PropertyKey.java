package dev.clearway.routes;

/**
 * An application property name, folded once for case-insensitive lookup. Compiled conditions hold
 * these so that evaluating a message never lower-cases a string (ROUTES.md: property names compare
 * ignoring case).
 *
 * @param name the name as written
 * @param folded the lookup key
 */
public record PropertyKey(String name, String folded) {

  /** Folds {@code name}; call this once, not per message. */
  public static PropertyKey of(String name) {
    return new PropertyKey(name, SystemProperty.fold(name));
  }
}

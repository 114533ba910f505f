package dev.clearway.routes;

import java.util.Locale;

/**
 * The value of a condition: ROUTES.md's three-valued logic plus {@code null}. A route fires only on
 * {@link #TRUE}; a condition whose value is a number or a string counts as {@link #UNDEFINED}.
 */
public enum Truth {
  TRUE,
  FALSE,
  NULL,
  UNDEFINED;

  /** The word the command line prints: {@code true}, {@code false}, {@code null}, {@code undefined}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}

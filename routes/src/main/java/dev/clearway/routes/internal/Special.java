package dev.clearway.routes.internal;

/** The two values that are not data: {@code null} and {@code undefined}. */
enum Special {
  NULL,
  UNDEFINED
}

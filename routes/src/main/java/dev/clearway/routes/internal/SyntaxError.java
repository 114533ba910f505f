package dev.clearway.routes.internal;

/** A fault at one offset of the text being compiled; turned into a RouteError at the boundary. */
final class SyntaxError extends RuntimeException {
  final int offset;

  SyntaxError(int offset, String message) {
    super(message, null, false, false);
    this.offset = offset;
  }
}

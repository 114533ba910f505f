package dev.clearway.actors.demo;

/** The demo cannot go on; the message is one line for the user. */
final class DemoException extends Exception {
  private static final long serialVersionUID = 1L;

  DemoException(String message, Throwable cause) {
    super(message, cause);
  }

  DemoException(String message) {
    super(message);
  }
}

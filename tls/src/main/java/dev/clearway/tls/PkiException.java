package dev.clearway.tls;

/** A PKI operation that cannot be done as asked; the message is one line naming what and why. */
public final class PkiException extends Exception {
  private static final long serialVersionUID = 1L;

  public PkiException(String message) {
    super(message);
  }

  public PkiException(String message, Throwable cause) {
    super(message, cause);
  }
}

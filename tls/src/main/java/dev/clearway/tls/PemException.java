package dev.clearway.tls;

import java.nio.file.Path;

/** A PEM file that cannot be used: the message names the file and what is wrong with it. */
public final class PemException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path file;

  PemException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  PemException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /** The file that could not be read. */
  public Path file() {
    return file;
  }

  /** The problem without the file name. */
  public String problem() {
    String m = getMessage();
    return m.substring(m.indexOf(": ") + 2);
  }
}

package dev.clearway.tls;

import java.util.List;

/** The gateway's TLS identity cannot be set up; {@link #lines()} are the one-line reasons. */
public final class TlsStartupException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<String> lines;

  TlsStartupException(List<String> lines) {
    super(String.join(System.lineSeparator(), lines));
    this.lines = List.copyOf(lines);
  }

  TlsStartupException(String line, Throwable cause) {
    super(line, cause);
    this.lines = List.of(line);
  }

  public List<String> lines() {
    return lines;
  }
}

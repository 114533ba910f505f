package dev.clearway.tls;

import java.nio.file.Path;

/**
 * One result of a certificate check: which file, which rule, what is wrong and how to fix it.
 * {@link #toString()} is the one-line form printed by {@code clearway certs check} and at start.
 */
public record Finding(Severity severity, Path file, String rule, String problem, String fix) {

  /** An error stops the gateway's start and fails {@code certs check}; a warning does neither. */
  public enum Severity {
    ERROR,
    WARNING
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  @Override
  public String toString() {
    return file + ": " + severity.name().toLowerCase(java.util.Locale.ROOT) + " [" + rule + "] " + problem + ". Fix: " + fix;
  }
}

package dev.clearway.tls;

/** A wrong {@code clearway.tls} setting; the message is one line naming the key and the problem. */
public final class TlsSettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  TlsSettingsException(String key, String problem) {
    super(key + ": " + problem);
  }
}

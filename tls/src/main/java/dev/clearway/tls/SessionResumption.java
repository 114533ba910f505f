package dev.clearway.tls;

import java.time.Duration;

/**
 * How a client that reconnects resumes its TLS session (skipping the certificate exchange and the
 * server's signature): from the server's bounded session cache, or from a stateless ticket the
 * server handed it (RFC 8446 4.6.1, RFC 5077). See {@code clearway.tls.session-resumption}.
 *
 * @param tickets stateless tickets; false: the session cache
 * @param cacheSize the most sessions the server keeps (with the cache)
 * @param timeout how long a session can be resumed
 */
public record SessionResumption(boolean tickets, int cacheSize, Duration timeout) {

  /** The JDK's own defaults: stateless tickets, for servers that are not the gateway's listeners (a demo's hub stand-in). */
  public static final SessionResumption JDK_DEFAULT = new SessionResumption(true, 20_480, Duration.ofHours(24));

  public SessionResumption {
    if (cacheSize < 1) {
      throw new IllegalArgumentException("session cache size " + cacheSize + " is below 1");
    }
    if (timeout.getSeconds() < 1 || timeout.getSeconds() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("session timeout " + timeout + " is outside 1s .. " + Integer.MAX_VALUE + "s");
    }
  }
}

package dev.clearway.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Server-side TLS for every listener: an {@link SSLContext} presenting the {@link ServerIdentity}
 * (or, for a demo's peer, one {@linkplain #fixed fixed certificate}), and engines restricted to the
 * configured protocols (TLS 1.2 and 1.3 only).
 *
 * <p>A client certificate is requested but not required. The handshake accepts any client chain:
 * whether it identifies a device (by thumbprint, or by a chain to the trust bundle with CN = device
 * id) is decided by device authentication after the handshake, which can answer with the
 * protocol's own "not authorized" instead of a bare TLS alert. The CertificateRequest names no CAs,
 * so clients with self-signed certificates still send them.
 *
 * <p>Each renewal of the identity replaces the SSL context, and with it the session cache and
 * session-ticket keys: a client cannot resume a session made with the old certificate, so every
 * connection after a renewal sees the new one.
 *
 * <p>Sessions resume per {@link SessionResumption}: the JDK reads whether a server issues
 * stateless tickets ({@code jdk.tls.server.enableSessionTicketExtension}) when a context is
 * created, so that property is set for the creation of this class's contexts only, and put back.
 */
public final class ServerTls {
  /** The JDK's switch for stateless server tickets, read when a context is created. */
  private static final String TICKETS_PROPERTY = "jdk.tls.server.enableSessionTicketExtension";
  /** Guards the property while a context is created (other threads may create contexts too). */
  private static final Object PROPERTY_LOCK = new Object();

  private final KeyManager keyManager;
  private final List<String> protocols;
  private final SessionResumption resumption;
  private volatile SSLContext context;

  private ServerTls(KeyManager keyManager, List<String> protocols, SessionResumption resumption) {
    this.keyManager = keyManager;
    this.protocols = List.copyOf(protocols);
    this.resumption = resumption;
    this.context = newContext();
  }

  /** Server TLS for {@code identity}, accepting {@code protocols}, with the JDK's session resumption. */
  public static ServerTls create(ServerIdentity identity, List<String> protocols) {
    return create(identity, protocols, SessionResumption.JDK_DEFAULT);
  }

  /** Server TLS for {@code identity}, accepting {@code protocols}, resuming sessions per {@code resumption}. */
  public static ServerTls create(ServerIdentity identity, List<String> protocols, SessionResumption resumption) {
    // The identity's key manager looks up the current generation at every handshake.
    ServerTls tls = new ServerTls(identity.keyManager(), protocols, resumption);
    identity.onRenewal(() -> tls.context = tls.newContext());
    return tls;
  }

  /**
   * Server TLS presenting one fixed certificate chain, never renewed: for short-lived peers of a
   * demo or test set-up (the hub stand-in of {@code clearway demo}), not for the gateway itself.
   */
  public static ServerTls fixed(CertifiedKey certificate, List<String> protocols) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0]; // an in-memory store; nothing is written anywhere
      store.setKeyEntry("server", certificate.key(), password, certificate.chain().toArray(X509Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      return new ServerTls(kmf.getKeyManagers()[0], protocols, SessionResumption.JDK_DEFAULT);
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot set up server TLS for " + certificate.certificate().getSubjectX500Principal().getName()
          + ": " + e.getMessage(), e);
    }
  }

  private SSLContext newContext() {
    try {
      SSLContext ctx;
      synchronized (PROPERTY_LOCK) {
        String before = System.getProperty(TICKETS_PROPERTY);
        System.setProperty(TICKETS_PROPERTY, Boolean.toString(resumption.tickets()));
        try {
          ctx = SSLContext.getInstance("TLS");
        } finally {
          if (before == null) {
            System.clearProperty(TICKETS_PROPERTY);
          } else {
            System.setProperty(TICKETS_PROPERTY, before);
          }
        }
      }
      ctx.init(new KeyManager[] {keyManager}, new TrustManager[] {new DeferredClientAuth()}, new SecureRandom());
      ctx.getServerSessionContext().setSessionCacheSize(resumption.cacheSize());
      ctx.getServerSessionContext().setSessionTimeout((int) resumption.timeout().getSeconds());
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK's TLS provider is unavailable", e);
    }
  }

  /**
   * The SSL context in use now, for APIs that take one. It changes at each renewal: listeners
   * should call {@link #newServerEngine()} per connection rather than keep a context.
   */
  public SSLContext context() {
    return context;
  }

  /** Parameters every server engine or socket uses: protocols, client certificate wanted. */
  public SSLParameters parameters() {
    SSLParameters p = context.getDefaultSSLParameters();
    p.setProtocols(protocols.toArray(String[]::new));
    p.setWantClientAuth(true);
    return p;
  }

  /** A new server-mode engine for one connection. */
  public SSLEngine newServerEngine() {
    SSLEngine engine = context.createSSLEngine();
    engine.setUseClientMode(false);
    engine.setSSLParameters(parameters());
    return engine;
  }

  /** Accepts any client chain during the handshake; device authentication judges it later. */
  private static final class DeferredClientAuth implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
      // Deliberately accepting: see the class comment.
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("this trust manager serves the server side only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}

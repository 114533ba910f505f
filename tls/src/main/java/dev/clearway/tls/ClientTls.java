package dev.clearway.tls;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Client-side TLS for the gateway's own connections to the hub (or a parent gateway): the peer's
 * certificate must chain to the given trust bundle, or to the JVM's system trust store, and name
 * the host dialled (host-name verification as HTTPS does it). TLS 1.2 and 1.3 only.
 */
public final class ClientTls {
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final SSLContext context;

  private ClientTls(SSLContext context) {
    this.context = context;
  }

  /**
   * @param trustBundle PEM root certificate(s); empty means the system trust store
   * @param settingKey the setting that named the bundle, for the error
   * @throws IllegalArgumentException naming {@code settingKey} when the bundle cannot be read
   */
  public static ClientTls create(Optional<Path> trustBundle, String settingKey) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trustManagerFactory(trustBundle, settingKey).getTrustManagers(), null);
      return new ClientTls(context);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for the uplink: " + e.getMessage(), e);
    }
  }

  /**
   * Trust managers that trust the certificates of a PEM trust bundle (or, when empty, the system
   * trust store): what a device installs to trust the gateway, or the gateway to trust the hub.
   *
   * @param settingKey the setting (or option) that named the bundle, for the error
   * @throws IllegalArgumentException naming {@code settingKey} when the bundle cannot be read
   */
  public static TrustManagerFactory trustManagerFactory(Optional<Path> trustBundle, String settingKey) {
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (trustBundle.isPresent()) {
        List<X509Certificate> roots;
        try {
          roots = Pem.readCertificates(trustBundle.get());
        } catch (PemException e) {
          throw new IllegalArgumentException(settingKey + ": cannot read " + trustBundle.get() + ": " + e.getMessage(), e);
        }
        if (roots.isEmpty()) {
          throw new IllegalArgumentException(settingKey + ": " + trustBundle.get() + " holds no certificate");
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < roots.size(); i++) {
          store.setCertificateEntry("root-" + i, roots.get(i));
        }
        tmf.init(store);
      } else {
        tmf.init((KeyStore) null);
      }
      return tmf;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot set up TLS trust (" + settingKey + "): " + e.getMessage(), e);
    }
  }

  /** A client engine for one connection to {@code host:port}, verifying that the certificate names {@code host}. */
  public SSLEngine newClientEngine(String host, int port) {
    SSLEngine engine = context.createSSLEngine(host, port);
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setProtocols(PROTOCOLS);
    params.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(params);
    return engine;
  }
}

package dev.clearway.streams.tls;

import dev.clearway.tls.CertifiedKey;
import dev.clearway.tls.KeyType;
import dev.clearway.tls.ServerIdentity;
import dev.clearway.tls.ServerTls;
import dev.clearway.tls.TestPki;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;

/**
 * A test PKI, the gateway's server TLS made from it with the tls module's own code, and JDK client
 * contexts that trust it (optionally presenting a device certificate).
 */
final class TlsFixtures {
  static final String HOST = "gateway.example.test";

  final TestPki pki;
  final ServerIdentity identity;
  final ServerTls serverTls;

  TlsFixtures(Path dir, List<String> protocols) {
    pki = TestPki.create(dir.resolve("pki"));
    identity = ServerIdentity.issue(pki.edgeCa("edge"), new ServerIdentity.Options(HOST, List.of(), KeyType.EC_P256,
        Duration.ofDays(90), Duration.ofDays(30), Duration.ofDays(3)), Clock.systemUTC());
    serverTls = ServerTls.create(identity, protocols);
  }

  /** The same identity accepting only {@code protocols}. */
  ServerTls serverTls(List<String> protocols) {
    return ServerTls.create(identity, protocols);
  }

  /** A server engine as the gateway makes it (client certificate wanted, not needed). */
  SSLEngine serverEngine() {
    return serverTls.newServerEngine();
  }

  /** A server engine that refuses a client without a certificate. */
  SSLEngine serverEngineNeedingClientAuth() {
    SSLEngine e = serverTls.newServerEngine();
    e.setNeedClientAuth(true);
    return e;
  }

  /** A client context trusting the test root, presenting {@code device} when not null. */
  SSLContext clientContext(CertifiedKey device) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("root", pki.root().certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    KeyManager[] keys = null;
    if (device != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("device", device.key(), new char[0], device.chain().toArray(X509Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      keys = kmf.getKeyManagers();
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(keys, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A client engine for {@link #HOST}, limited to {@code protocol}. */
  SSLEngine clientEngine(SSLContext ctx, String protocol) {
    SSLEngine e = ctx.createSSLEngine(HOST, 8883);
    e.setUseClientMode(true);
    e.setEnabledProtocols(new String[] {protocol});
    return e;
  }
}

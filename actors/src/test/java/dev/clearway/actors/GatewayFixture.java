package dev.clearway.actors;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.clearway.actors.config.GatewayConfig;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.routes.Message;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A gateway running in this JVM for integration tests: quickstart PKI in a temporary data
 * directory, MQTT/TLS on 127.0.0.1:8883 (the Azure SDKs always dial 8883), and every message the
 * router has handled (stored, or routed nowhere) kept in {@link #received()}.
 */
public final class GatewayFixture implements AutoCloseable {
  /** The IoT Hub name devices sign their tokens for. */
  public static final String HUB = "clearway-test-hub.azure-devices.net";
  /** The gateway's host name: devices' GatewayHostName. */
  public static final String GATEWAY_HOST = "127.0.0.1";

  private final Gateway gateway;
  private final Path dataDir;
  private final BlockingQueue<Message> received = new LinkedBlockingQueue<>();

  private GatewayFixture(Path dataDir, int port, String extraConfig) throws Exception {
    this.dataDir = dataDir;
    Config config = ConfigFactory.parseString("""
            clearway.tls.hostname = "%s"
            clearway.hub.hostname = "%s"
            clearway.mqtt.bind-address = "127.0.0.1"
            clearway.mqtt.port = %d
            clearway.identities.reload-check-interval = 100ms
            clearway.routes.upstream = "FROM /messages/* INTO $upstream"
            # No hub unless a test brings its stand-in: the uplink's attempts are refused at once.
            clearway.upstream.address = "127.0.0.1:1"
            # Several gateways may run in one JVM: each serves its metrics on a free loopback port.
            clearway.metrics.host = "127.0.0.1"
            clearway.metrics.port = 0
            pekko.remote.artery.canonical.port = 0
            pekko.actor.serialize-messages = on
            """.formatted(GATEWAY_HOST, HUB, port) + extraConfig)
        .withFallback(GatewayConfig.load(Optional.empty()))
        .resolve();
    gateway = Gateway.start(config, dataDir, (message, stored) -> received.add(message), Optional.empty());
  }

  /** A gateway on 8883 with the test defaults. */
  public static GatewayFixture start(Path dataDir) throws Exception {
    return new GatewayFixture(dataDir, 8883, "");
  }

  /** A gateway on another port, with extra HOCON. */
  public static GatewayFixture start(Path dataDir, int port, String extraConfig) throws Exception {
    return new GatewayFixture(dataDir, port, extraConfig);
  }

  public Gateway gateway() {
    return gateway;
  }

  public int port() {
    return gateway.mqttAddress().getPort();
  }

  /** Messages the router received, in order. */
  public BlockingQueue<Message> received() {
    return received;
  }

  /** The next message the router receives, or an AssertionError after {@code timeout}. */
  public Message nextMessage(Duration timeout) throws InterruptedException {
    Message m = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (m == null) {
      throw new AssertionError("no message reached the router within " + timeout);
    }
    return m;
  }

  /** Registers a SAS device or module and returns its keys. */
  public Credentials.SymmetricKey addSas(String deviceId, String moduleId) throws Exception {
    Credentials.SymmetricKey keys = Credentials.SymmetricKey.generate();
    gateway.registry().add(new Identity(deviceId, Optional.ofNullable(moduleId), keys));
    return keys;
  }

  /** The connection string an Azure SDK device uses to reach this gateway. */
  public static String connectionString(String deviceId, String moduleId, String key) {
    return "HostName=" + HUB + ";DeviceId=" + deviceId + (moduleId == null ? "" : ";ModuleId=" + moduleId)
        + ";SharedAccessKey=" + key + ";GatewayHostName=" + GATEWAY_HOST;
  }

  /** A client SSL context that trusts the gateway's root CA (what devices install). */
  public SSLContext clientTrust() throws Exception {
    return clientContext(null, List.of());
  }

  /** Trust managers that trust the gateway's root CA, for raw MQTT clients. */
  public TrustManagerFactory clientTrustManagers() throws Exception {
    return trusting(gateway.tls().trustedRoots());
  }

  /** Trust managers that trust exactly {@code roots} (what a device installs). */
  public static TrustManagerFactory trusting(List<X509Certificate> roots) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    for (int i = 0; i < roots.size(); i++) {
      trust.setCertificateEntry("root" + i, roots.get(i));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf;
  }

  /** A client SSL context that trusts the gateway and presents {@code chain} (X.509 devices). */
  public SSLContext clientContext(PrivateKey key, List<X509Certificate> chain) throws Exception {
    TrustManagerFactory tmf = clientTrustManagers();
    KeyManagerFactory kmf = null;
    if (key != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("device", key, "pw".toCharArray(), chain.toArray(X509Certificate[]::new));
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "pw".toCharArray());
    }
    SSLContext ctx = SSLContext.getInstance("TLSv1.2");
    ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    return ctx;
  }

  /** The data directory: the quickstart PKI (certs/, private/) that signs CA devices lives here. */
  public Path dataDir() {
    return dataDir;
  }

  @Override
  public void close() {
    gateway.close();
  }
}

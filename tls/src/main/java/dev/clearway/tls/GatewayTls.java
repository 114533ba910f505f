package dev.clearway.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's TLS, set up at start: find the edge CA (configured, or the quickstart PKI under the
 * data directory), check it with the same rules as {@code clearway certs check} (any error stops the
 * start with those lines), issue the workload CA and server certificate, and keep renewing the
 * server certificate on a timer until {@link #close()}.
 */
public final class GatewayTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GatewayTls.class);
  /** The name of the edge CA that quickstart mode creates. */
  public static final String QUICKSTART_EDGE_CA = "clearway-quickstart";

  private final ServerIdentity identity;
  private final ServerTls serverTls;
  private final Path trustBundle;
  private final List<X509Certificate> trustedRoots;
  private final ScheduledExecutorService renewal;

  private GatewayTls(ServerIdentity identity, ServerTls serverTls, Path trustBundle, List<X509Certificate> trustedRoots,
      ScheduledExecutorService renewal) {
    this.identity = identity;
    this.serverTls = serverTls;
    this.trustBundle = trustBundle;
    this.trustedRoots = trustedRoots;
    this.renewal = renewal;
  }

  /**
   * Sets up the TLS identity and starts its renewal timer.
   *
   * @param dataDir the gateway's data directory; the quickstart PKI lives in it
   * @throws TlsStartupException with one line per problem found
   */
  public static GatewayTls start(TlsSettings settings, Path dataDir, Clock clock) throws TlsStartupException {
    Path cert;
    Path key;
    Path bundle;
    if (settings.quickstart()) {
      ensureQuickstartPki(settings, dataDir, clock);
      cert = DemoPki.edgeCaFullChain(dataDir, QUICKSTART_EDGE_CA);
      key = DemoPki.edgeCaKey(dataDir, QUICKSTART_EDGE_CA);
      bundle = settings.trustBundle().orElse(DemoPki.rootCaCert(dataDir));
    } else {
      cert = settings.edgeCaCert().orElseThrow();
      key = settings.edgeCaKey().orElseThrow();
      bundle = settings.trustBundle().orElseThrow();
    }
    List<Finding> findings = CertificateCheck.run(
        new CertificateCheck.Request(cert, Optional.of(key), Optional.of(bundle), true, Optional.of(settings.hostname())), clock);
    findings.stream().filter(f -> !f.isError()).forEach(f -> log.warn("{}", f));
    if (!CertificateCheck.passes(findings)) {
      throw new TlsStartupException(findings.stream().filter(Finding::isError).map(Finding::toString).toList());
    }
    CertifiedKey edgeCa;
    List<X509Certificate> roots;
    try {
      edgeCa = new CertifiedKey(Pem.readCertificates(cert), Pem.readPrivateKey(key));
      roots = Pem.readCertificates(bundle);
    } catch (PemException e) {
      throw new TlsStartupException(e.getMessage(), e); // the checks above read the same files; only a race gets here
    }
    ServerIdentity identity = ServerIdentity.issue(edgeCa, ServerIdentity.Options.from(settings), clock);
    ServerTls serverTls = ServerTls.create(identity, settings.protocols(), settings.sessionResumption());
    if (settings.quickstart()) {
      log.info("Quickstart PKI: devices must trust the root CA {}", DemoPki.rootCaCert(dataDir).toAbsolutePath());
    }
    log.info("TLS server certificate for {} issued by edge CA {}, valid until {}", settings.hostname(),
        edgeCa.certificate().getSubjectX500Principal().getName(), identity.current().certificate().getNotAfter().toInstant());

    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "clearway-tls-renewal");
      t.setDaemon(true);
      return t;
    });
    long every = settings.renewalCheckInterval().toMillis();
    timer.scheduleWithFixedDelay(() -> {
      try {
        identity.renewIfDue();
      } catch (RuntimeException e) {
        log.error("Renewing the TLS server certificate failed; will retry", e);
      }
    }, every, every, TimeUnit.MILLISECONDS);
    return new GatewayTls(identity, serverTls, bundle, roots, timer);
  }

  /**
   * Creates the quickstart root, intermediate and edge CA under {@code dataDir} unless they exist;
   * reissues the edge CA from the stored intermediate when it is about to expire. {@link #start}
   * does this itself; {@code clearway demo} calls it first, to issue its hub stand-in's certificate
   * from the same root.
   */
  public static void ensureQuickstartPki(TlsSettings settings, Path dataDir, Clock clock) throws TlsStartupException {
    DemoPki.Options rootOptions = new DemoPki.Options(settings.serverKeyType(),
        (int) Math.max(1, settings.quickstartRootValidity().toDays()), "", false);
    DemoPki.Options edgeOptions = new DemoPki.Options(settings.serverKeyType(),
        (int) Math.max(1, settings.quickstartEdgeCaValidity().toDays()), "", false);
    try {
      if (!Files.exists(DemoPki.rootCaCert(dataDir))) {
        DemoPki.createRootCa(dataDir, rootOptions, clock);
        log.info("Created the quickstart root CA {}", DemoPki.rootCaCert(dataDir).toAbsolutePath());
      }
      Path edge = DemoPki.edgeCaFullChain(dataDir, QUICKSTART_EDGE_CA);
      if (!Files.exists(edge)) {
        DemoPki.createEdgeCa(dataDir, QUICKSTART_EDGE_CA, edgeOptions, clock);
      } else if (expiresSoon(edge, clock)) {
        DemoPki.createEdgeCa(dataDir, QUICKSTART_EDGE_CA,
            new DemoPki.Options(edgeOptions.keyType(), edgeOptions.validityDays(), "", true), clock);
        log.info("Reissued the quickstart edge CA {}: it was about to expire", edge);
      }
    } catch (PkiException | IOException e) {
      throw new TlsStartupException("cannot create the quickstart PKI under " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private static boolean expiresSoon(Path fullChain, Clock clock) {
    try {
      Instant notAfter = Pem.readCertificates(fullChain).get(0).getNotAfter().toInstant();
      return clock.instant().plus(CertificateCheck.EXPIRY_WARNING).isAfter(notAfter);
    } catch (PemException e) {
      return false; // a damaged file is reported by the start checks, with its fix
    }
  }

  public ServerIdentity identity() {
    return identity;
  }

  public ServerTls serverTls() {
    return serverTls;
  }

  /** The trust bundle file in use (for quickstart: the quickstart root). */
  public Path trustBundle() {
    return trustBundle;
  }

  /** The certificates of the trust bundle, read at start. */
  public List<X509Certificate> trustedRoots() {
    return trustedRoots;
  }

  @Override
  public void close() {
    renewal.shutdownNow();
  }
}

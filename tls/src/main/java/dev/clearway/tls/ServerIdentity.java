package dev.clearway.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x509.GeneralName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's TLS server identity: a workload CA issued by the edge CA and a server certificate
 * issued by the workload CA, renewed before it expires.
 *
 * <p>Handshakes read the identity through {@link #keyManager()}, which looks up the current
 * certificate at every handshake; so a renewal reaches new connections at once, and connections
 * that are already up keep the session they negotiated. Each issued generation has its own alias,
 * so a handshake that raced a renewal still gets a certificate and key that belong together.
 */
public final class ServerIdentity {
  private static final Logger log = LoggerFactory.getLogger(ServerIdentity.class);
  private static final String ALIAS_PREFIX = "clearway-server-";
  // A handshake asks for the alias, then the chain and key; keep a few generations for stragglers.
  private static final int GENERATIONS_KEPT = 3;

  /**
   * How the server identity is issued.
   *
   * @param hostname CN and first DNS SAN
   * @param extraSubjectAltNames more DNS names or IP literals
   * @param keyType key type of the workload CA and server certificates
   * @param workloadCaValidity the workload CA's validity
   * @param serverCertValidity each server certificate's validity
   * @param renewBefore reissue when less than this is left
   */
  public record Options(String hostname, List<String> extraSubjectAltNames, KeyType keyType,
      Duration workloadCaValidity, Duration serverCertValidity, Duration renewBefore) {
    public static Options from(TlsSettings s) {
      return new Options(s.hostname(), s.extraSubjectAltNames(), s.serverKeyType(), s.workloadCaValidity(),
          s.serverCertValidity(), s.renewBefore());
    }
  }

  private final CertifiedKey edgeCa;
  private final Options options;
  private final Clock clock;
  private final Object lock = new Object();
  private final Map<String, CertifiedKey> generations = new LinkedHashMap<>();
  private final List<Runnable> renewalListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile String currentAlias;
  private CertifiedKey workloadCa;
  private int generation;

  private ServerIdentity(CertifiedKey edgeCa, Options options, Clock clock) {
    this.edgeCa = edgeCa;
    this.options = options;
    this.clock = clock;
  }

  /** Issues a workload CA and a first server certificate under {@code edgeCa}. */
  public static ServerIdentity issue(CertifiedKey edgeCa, Options options, Clock clock) {
    ServerIdentity id = new ServerIdentity(edgeCa, options, clock);
    synchronized (id.lock) {
      id.workloadCa = id.issueWorkloadCa();
      id.install(id.issueServer());
    }
    return id;
  }

  /** The server certificate chain (server, workload CA, edge CA, …) and key in use now. */
  public CertifiedKey current() {
    synchronized (lock) {
      return generations.get(currentAlias);
    }
  }

  /**
   * Reissues the server certificate if it has less than {@code renewBefore} left (and the workload
   * CA too, when it is the one running out). Returns whether a new certificate was installed.
   */
  public boolean renewIfDue() {
    synchronized (lock) {
      Instant now = clock.instant();
      X509Certificate server = generations.get(currentAlias).certificate();
      if (now.isBefore(server.getNotAfter().toInstant().minus(options.renewBefore()))) {
        return false;
      }
      if (!now.isBefore(workloadCa.certificate().getNotAfter().toInstant().minus(options.renewBefore()))) {
        workloadCa = issueWorkloadCa();
      }
      CertifiedKey renewed = issueServer();
      if (!renewed.certificate().getNotAfter().after(server.getNotAfter())) {
        // The edge CA itself expires before a renewal could help; renewing again and again would only churn.
        log.warn("Cannot renew the server certificate beyond {}: the edge CA {} expires then. Renew the edge CA.",
            server.getNotAfter().toInstant(), edgeCa.certificate().getSubjectX500Principal().getName());
        return false;
      }
      install(renewed);
      renewalListeners.forEach(Runnable::run);
      log.info("Renewed the TLS server certificate for {}; new handshakes use it until {}",
          options.hostname(), renewed.certificate().getNotAfter().toInstant());
      return true;
    }
  }

  /** Runs {@code listener} after each renewal (ServerTls drops its session cache then). */
  void onRenewal(Runnable listener) {
    renewalListeners.add(listener);
  }

  /** A key manager that always presents the current server certificate chain. */
  public X509ExtendedKeyManager keyManager() {
    return new RotatingKeyManager();
  }

  private CertifiedKey issueWorkloadCa() {
    Instant now = clock.instant();
    return CertificateIssuer.issueCa(edgeCa, "CN=Clearway Workload CA " + CertificateIssuer.escape(options.hostname()),
        options.keyType(), now.minus(Duration.ofMinutes(5)), now.plus(options.workloadCaValidity()), 0);
  }

  private CertifiedKey issueServer() {
    Instant now = clock.instant();
    return CertificateIssuer.issueServer(workloadCa, options.hostname(), subjectAltNames(options),
        options.keyType(), now.minus(Duration.ofMinutes(5)), now.plus(options.serverCertValidity()));
  }

  private void install(CertifiedKey key) {
    String alias = ALIAS_PREFIX + (++generation);
    generations.put(alias, key);
    while (generations.size() > GENERATIONS_KEPT) {
      generations.remove(generations.keySet().iterator().next());
    }
    currentAlias = alias;
  }

  /** The host name, localhost, 127.0.0.1 and the configured extras, without duplicates. */
  static List<GeneralName> subjectAltNames(Options o) {
    List<String> names = new ArrayList<>();
    names.add(o.hostname());
    names.add("localhost");
    names.add("127.0.0.1");
    names.addAll(o.extraSubjectAltNames());
    List<GeneralName> sans = new ArrayList<>();
    names.stream().map(String::toLowerCase).distinct().forEach(n ->
        sans.add(new GeneralName(TlsSettings.isIpLiteral(n) ? GeneralName.iPAddress : GeneralName.dNSName, n)));
    return sans;
  }

  private CertifiedKey generation(String alias) {
    synchronized (lock) {
      return alias == null ? null : generations.get(alias);
    }
  }

  /** Presents the current generation; server side only. */
  private final class RotatingKeyManager extends X509ExtendedKeyManager {
    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      String alias = currentAlias;
      CertifiedKey key = generation(alias);
      // JSSE asks once per key type it could use ("EC", "RSA", "RSASSA-PSS"…); answer only for ours.
      return key != null && key.key().getAlgorithm().equalsIgnoreCase(keyType) ? alias : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      String alias = chooseServerAlias(keyType, issuers, null);
      return alias == null ? null : new String[] {alias};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      CertifiedKey key = generation(alias);
      return key == null ? null : key.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      CertifiedKey key = generation(alias);
      return key == null ? null : key.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null; // a server identity never acts as a client
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }
}

package dev.clearway.benchmarks;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.TrustManagerFactory;

/** What the harnesses' main methods share: the command line, the frame of a run, the devices' TLS. */
final class HarnessMain {
  private HarnessMain() {}

  /** A harness's run, returning its exit code. */
  interface Body {
    int run() throws Exception;
  }

  /** The parsed command line, or exit code 2 with one line "name: what is wrong". */
  static <T> T parseOrExit(String name, Function<String[], T> parser, String[] args) {
    try {
      return parser.apply(args);
    } catch (IllegalArgumentException e) {
      System.err.println(name + ": " + e.getMessage());
      System.exit(2);
      throw e; // not reached
    }
  }

  /**
   * Runs {@code body} and exits with its code (1 when it throws). {@code cleanup} also runs from a
   * shutdown hook, so Ctrl-C, the run script's timeout or the watchdog, which exits with 3 after
   * {@code maxMinutes}, leave no gateway or broker behind.
   */
  static void run(String name, int maxMinutes, Runnable cleanup, Body body) {
    Runtime.getRuntime().addShutdownHook(new Thread(cleanup, name + "-cleanup"));
    Thread watchdog = new Thread(() -> {
      try {
        Thread.sleep(TimeUnit.MINUTES.toMillis(maxMinutes));
        System.err.println(name + ": still running after " + maxMinutes + " min, giving up");
        System.exit(3);
      } catch (InterruptedException e) {
        // finished in time
      }
    }, name + "-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    int code;
    try {
      code = body.run();
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    }
    watchdog.interrupt();
    // The HiveMQ client's Netty threads are not all daemons; leave explicitly.
    System.exit(code);
  }

  /** The HiveMQ client's TLS: trust the root certificate in {@code rootPem}, speak {@code protocol} only. */
  static MqttClientSslConfig clientTls(Path rootPem, String protocol) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(rootPem)) {
      trust.setCertificateEntry("root", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return MqttClientSslConfig.builder().trustManagerFactory(tmf).protocols(List.of(protocol))
        .handshakeTimeout(30, TimeUnit.SECONDS).build();
  }
}

package dev.clearway.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto broker (Debian's {@code mosquitto} package, 2.0.x) started as a daemon for a benchmark:
 * {@code mosquitto -c <dir>/mosquitto.conf -d}, found again by its pid file and stopped by that pid.
 * The configurations are rendered by the static methods (pure, unit-tested); every listener binds
 * 127.0.0.1 only.
 *
 * <p>Settings shared by every configuration, and why:
 * <ul>
 *   <li>{@code allow_anonymous true}: the devices' IoT Hub SAS user names and passwords are ignored
 *       (the upstream stands in for the hub; the bridge is the peer, which has no IoT Hub identities).
 *   <li>{@code persistence false} (Mosquitto's default): Mosquitto keeps queued messages in memory
 *       only; its persistence is a periodic snapshot, never a per-message write.
 *   <li>{@code set_tcp_nodelay true}: without it Nagle's algorithm adds delayed-ACK stalls of tens
 *       of milliseconds to a request/response protocol; the gateway's sockets have TCP_NODELAY.
 *   <li>{@code max_queued_messages} {@value #MAX_QUEUED}: the per-client queue above the in-flight
 *       window. Mosquitto drops QoS 1 messages beyond it, silently to the publisher; the harness
 *       counts them as lost. Large, so that a drop means a broker really fell that far behind.
 * </ul>
 */
final class Mosquitto {
  /** Per-client queue bound of every rendered configuration. */
  static final int MAX_QUEUED = 1_000_000;
  /** The bridge's client id at the upstream. */
  static final String BRIDGE_CLIENT_ID = "clearway-bench-bridge";
  private static final String HOST = "127.0.0.1";

  /** A TLS server identity: the CA the clients trust, and the broker's certificate and key. */
  record ServerTls(Path caFile, Path certFile, Path keyFile) {}

  /** What a bridge connects to: the upstream's TLS port, the CA its certificate chains to, and its window. */
  record BridgeTarget(int port, Path caFile, int maxInflight) {}

  private final String name;
  private final Path dir;
  private final long pid;

  private Mosquitto(String name, Path dir, long pid) {
    this.name = name;
    this.dir = dir;
    this.pid = pid;
  }

  // --- configurations ------------------------------------------------------------------------

  /**
   * The upstream broker standing in for the hub: a TLS listener for the gateway's uplink and the
   * bridge, and a plain-TCP listener for the harness's subscriber (TLS there would only add load
   * to the load generator, equally for both systems). Its outgoing window ({@code maxInflight}) is
   * towards that subscriber.
   */
  static String upstreamConfig(Path dir, String user, int tlsPort, int plainPort, ServerTls tls, int maxInflight) {
    List<String> lines = common(dir, user, maxInflight);
    lines.addAll(tlsListener(tlsPort, tls));
    lines.add("listener " + plainPort + " " + HOST);
    return String.join("\n", lines) + "\n";
  }

  /**
   * The peer: Mosquitto as a TLS bridge. Devices connect to its TLS listener; everything they
   * publish under {@code devices/} goes out to the upstream at QoS 1 over one TLS connection, whose
   * certificate is verified against {@code upstream.caFile()} with the host name checked.
   */
  static String bridgeConfig(Path dir, String user, int tlsPort, ServerTls tls, BridgeTarget upstream) {
    List<String> lines = common(dir, user, upstream.maxInflight());
    lines.addAll(tlsListener(tlsPort, tls));
    lines.addAll(List.of(
        "",
        "connection clearway-bench-bridge",
        "address " + HOST + ":" + upstream.port(),
        "remote_clientid " + BRIDGE_CLIENT_ID,
        "bridge_protocol_version mqttv311",
        "bridge_cafile " + upstream.caFile().toAbsolutePath(),
        "bridge_insecure false",
        "cleansession true",
        "notifications false",
        "restart_timeout 1",
        "topic devices/# out 1"));
    return String.join("\n", lines) + "\n";
  }

  /** A broker with one TLS listener and nothing else: the idle-connection memory comparison. */
  static String listenerOnlyConfig(Path dir, String user, int tlsPort, ServerTls tls) {
    List<String> lines = common(dir, user, 20);
    lines.addAll(tlsListener(tlsPort, tls));
    return String.join("\n", lines) + "\n";
  }

  private static List<String> common(Path dir, String user, int maxInflight) {
    Path abs = dir.toAbsolutePath();
    return new ArrayList<>(List.of(
        "# Written by dev.clearway.benchmarks.Mosquitto for one benchmark run.",
        "pid_file " + abs.resolve("mosquitto.pid"),
        "log_dest file " + abs.resolve("mosquitto.log"),
        // As root, mosquitto would switch to the 'mosquitto' user, which cannot read the run's files.
        "user " + user,
        "persistence false",
        "allow_anonymous true",
        "set_tcp_nodelay true",
        "max_inflight_messages " + maxInflight,
        "max_queued_messages " + MAX_QUEUED));
  }

  private static List<String> tlsListener(int port, ServerTls tls) {
    return List.of(
        "",
        "listener " + port + " " + HOST,
        "cafile " + tls.caFile().toAbsolutePath(),
        "certfile " + tls.certFile().toAbsolutePath(),
        "keyfile " + tls.keyFile().toAbsolutePath(),
        "max_connections -1");
  }

  // --- the process ---------------------------------------------------------------------------

  /**
   * Writes {@code config} to {@code dir/mosquitto.conf}, starts {@code mosquitto -c … -d} and waits
   * until its pid file names a live process and {@code port} accepts connections.
   */
  static Mosquitto start(String name, Path dir, String config, int port) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path conf = dir.resolve("mosquitto.conf");
    Files.writeString(conf, config);
    Path pidFile = dir.resolve("mosquitto.pid");
    Files.deleteIfExists(pidFile);
    Process launcher = new ProcessBuilder("mosquitto", "-c", conf.toAbsolutePath().toString(), "-d")
        .redirectErrorStream(true).redirectOutput(dir.resolve("launcher.log").toFile()).start();
    if (!launcher.waitFor(30, TimeUnit.SECONDS) || launcher.exitValue() != 0) {
      launcher.destroyForcibly();
      throw new IllegalStateException(name + ": mosquitto -c " + conf + " -d did not start:\n"
          + Files.readString(dir.resolve("launcher.log")) + logTail(dir));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      Optional<Long> pid = readPid(pidFile);
      if (pid.isPresent() && ProcessHandle.of(pid.get()).map(ProcessHandle::isAlive).orElse(false) && accepts(port)) {
        return new Mosquitto(name, dir, pid.get());
      }
      Thread.sleep(100);
    }
    readPid(pidFile).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
    throw new IllegalStateException(name + ": mosquitto did not write " + pidFile + " and accept on port " + port
        + " within 30 s" + logTail(dir));
  }

  private static Optional<Long> readPid(Path pidFile) throws IOException {
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    String text = Files.readString(pidFile).strip();
    try {
      return text.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(text));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(HOST, port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String logTail(Path dir) {
    try {
      Path log = dir.resolve("mosquitto.log");
      if (!Files.exists(log)) {
        return "";
      }
      List<String> lines = Files.readAllLines(log);
      return "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  long pid() {
    return pid;
  }

  String name() {
    return name;
  }

  Path dir() {
    return dir;
  }

  /** SIGTERM, then SIGKILL after 10 s; does nothing when it has already gone. */
  void stop() {
    ProcessHandle.of(pid).ifPresent(p -> {
      p.destroy();
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    });
  }
}

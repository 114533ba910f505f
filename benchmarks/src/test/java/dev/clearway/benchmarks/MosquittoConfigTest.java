package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Mosquitto configurations the harness writes (mosquitto.conf(5) of 2.0). */
class MosquittoConfigTest {
  private static final Path DIR = Path.of("/runs/1/upstream");
  private static final Mosquitto.ServerTls TLS =
      new Mosquitto.ServerTls(Path.of("/runs/1/pki/ca.pem"), Path.of("/runs/1/pki/server.pem"), Path.of("/runs/1/pki/server.key"));

  @Test
  void theUpstreamHasATlsListenerForTheSystemsAndAPlainOneForTheSubscriberBothOnLoopback() {
    List<String> lines = Mosquitto.upstreamConfig(DIR, "root", 18883, 11883, TLS, 1000).lines().toList();
    assertThat(lines).containsSubsequence(
        "listener 18883 127.0.0.1",
        "cafile /runs/1/pki/ca.pem",
        "certfile /runs/1/pki/server.pem",
        "keyfile /runs/1/pki/server.key");
    assertThat(lines).contains("listener 11883 127.0.0.1", "max_inflight_messages 1000");
    assertThat(lines).noneMatch(l -> l.startsWith("connection "));
  }

  @Test
  void everyBrokerIsFoundByItsPidFileIgnoresCredentialsAndQueuesInsteadOfDroppingEarly() {
    for (String conf : List.of(Mosquitto.upstreamConfig(DIR, "bench", 1, 2, TLS, 20),
        Mosquitto.bridgeConfig(DIR, "bench", 1, TLS, new Mosquitto.BridgeTarget(2, TLS.caFile(), 100)),
        Mosquitto.listenerOnlyConfig(DIR, "bench", 1, TLS))) {
      assertThat(conf.lines()).contains(
          "pid_file /runs/1/upstream/mosquitto.pid",
          "log_dest file /runs/1/upstream/mosquitto.log",
          "user bench",
          "allow_anonymous true",
          "persistence false",
          "set_tcp_nodelay true",
          "max_queued_messages " + Mosquitto.MAX_QUEUED);
      assertThat(conf).doesNotContain("0.0.0.0");
    }
  }

  @Test
  void theBridgeForwardsDevicesTopicsAtQos1OverVerifiedTlsWithItsOwnWindow() {
    String conf = Mosquitto.bridgeConfig(DIR, "root", 28883, TLS, new Mosquitto.BridgeTarget(18883, TLS.caFile(), 64));
    List<String> lines = conf.lines().toList();
    assertThat(lines).contains("listener 28883 127.0.0.1", "max_inflight_messages 64");
    // Bridge options belong after their `connection` line, which ends the listener's section.
    assertThat(lines).containsSubsequence(
        "connection clearway-bench-bridge",
        "address 127.0.0.1:18883",
        "remote_clientid " + Mosquitto.BRIDGE_CLIENT_ID,
        "bridge_cafile /runs/1/pki/ca.pem",
        "bridge_insecure false",
        "topic devices/# out 1");
    assertThat(lines.indexOf("connection clearway-bench-bridge")).isGreaterThan(lines.indexOf("keyfile /runs/1/pki/server.key"));
  }
}

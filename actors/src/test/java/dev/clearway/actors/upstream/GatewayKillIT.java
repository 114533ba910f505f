package dev.clearway.actors.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.cli.ClearwayJar;
import dev.clearway.actors.hub.HubStandIn;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.tls.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway killed with SIGKILL under load: the shipped jar runs in its own JVM, 20 devices
 * publish QoS 1 telemetry through it to the hub stand-in (in this JVM), the process is killed
 * with {@code kill -9} mid-stream and started again on the same data directory. Every message a
 * device got a PUBACK for was in the store's write-ahead log by then, so it must reach the hub:
 * from the first process, or from the second one's store.
 */
class GatewayKillIT {
  private static final Logger log = LoggerFactory.getLogger(GatewayKillIT.class);
  private static final String HUB = GatewayFixture.HUB;
  private static final int DEVICES = 20;

  @TempDir Path dir;

  @Test
  void everyAcknowledgedMessageReachesTheHubAcrossAKillNine() throws Exception {
    try (HubStandIn hub = HubStandIn.start(HUB)) {
      Path data = Files.createDirectories(dir.resolve("data"));
      IdentityRegistry registry = IdentityRegistry.open(data, Duration.ofSeconds(2), Clock.systemUTC());
      List<TelemetryLoad.Device> devices = new ArrayList<>();
      for (int i = 0; i < DEVICES; i++) {
        String id = "kill-" + i;
        Credentials.SymmetricKey keys = Credentials.SymmetricKey.generate();
        registry.add(new Identity(id, Optional.empty(), keys));
        hub.registerDevice(id, keys.primaryKey());
        devices.add(new TelemetryLoad.Device(id, keys.primaryKey()));
      }
      Path config = dir.resolve("gateway.conf");
      Files.writeString(config, """
          clearway.tls.hostname = "127.0.0.1"
          clearway.hub.hostname = "%s"
          clearway.mqtt.bind-address = "127.0.0.1"
          clearway.mqtt.port = 0
          clearway.routes.upstream = "FROM /messages/* INTO $upstream"
          clearway.streams.store.sync = true
          clearway.upstream.address = "127.0.0.1:%d"
          clearway.upstream.trust-bundle-cert = "%s"
          clearway.upstream.reconnect.min-backoff = 200ms
          clearway.upstream.reconnect.max-backoff = 2s
          pekko.remote.artery.canonical.port = 0
          """.formatted(HUB, hub.tlsPort(), hub.trustBundleFile().toAbsolutePath()));

      AtomicInteger port = new AtomicInteger();
      AtomicReference<TrustManagerFactory> trust = new AtomicReference<>();
      Process first = null;
      Process second = null;
      try {
        first = ClearwayJar.start(dir, dir.resolve("gateway-1.log"), "run", "--config", config.toString(), "--data-dir", data.toString());
        port.set(ClearwayJar.awaitListeningPort(dir.resolve("gateway-1.log"), first));
        trust.set(GatewayFixture.trusting(Pem.readCertificates(data.resolve("certs/azure-iot-test-only.root.ca.cert.pem"))));

        try (TelemetryLoad load = new TelemetryLoad(HUB, devices, port::get, trust::get).pause(Duration.ofMillis(10)).window(8)) {
          load.start();
          hub.awaitTelemetry(t -> t.deviceId().startsWith("kill-"), Duration.ofSeconds(20));
          Thread.sleep(5_000);

          int sentAtKill = load.sentCount();
          Set<String> ackedAtKill = load.acked();
          Instant killed = Instant.now();
          first.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no flush, no goodbye
          assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
          assertThat(first.exitValue()).as("killed by signal 9").isEqualTo(128 + 9);
          int ackedByFirst = load.ackedCount(); // every PUBACK the first process gave

          second = ClearwayJar.start(dir, dir.resolve("gateway-2.log"), "run", "--config", config.toString(), "--data-dir", data.toString());
          port.set(ClearwayJar.awaitListeningPort(dir.resolve("gateway-2.log"), second));
          Instant restarted = Instant.now();
          int connectsAtRestart = load.connects();
          Thread.sleep(6_000);
          assertThat(load.stopPublishing(Duration.ofSeconds(15))).as("every publish answered").isTrue();
          assertThat(load.connects() - connectsAtRestart).as("the devices reconnected to the second process").isGreaterThanOrEqualTo(DEVICES);

          Tally tally = Tally.await("kill -9", load, hub, id -> id.startsWith("kill-"), Duration.ofSeconds(30));
          // Acknowledged by the first process, first received after it died: forwarded from the second one's store.
          Map<String, Instant> firstReceived = new HashMap<>();
          hub.telemetry().forEach(t -> firstReceived.merge(TelemetryLoad.idOf(t.body()), t.receivedAt(), (a, b) -> a.isBefore(b) ? a : b));
          long fromStore = ackedAtKill.stream().filter(id -> firstReceived.containsKey(id) && firstReceived.get(id).isAfter(killed)).count();
          log.info("kill -9: {} sent and {} acknowledged when killed ({} more acknowledgements raced the kill);"
              + " second process listening {} ms after the kill; {} messages acknowledged by the first process reached the hub"
              + " only from the second one's store; {}",
              sentAtKill, ackedAtKill.size(), ackedByFirst - ackedAtKill.size(), Duration.between(killed, restarted).toMillis(),
              fromStore, tally.summary());
          assertThat(tally.missing()).as("acknowledged but never received: %s", tally.summary()).isEmpty();
          assertThat(tally.unknown()).as(tally.summary()).isEmpty();
          assertThat(tally.acked()).isGreaterThan(ackedByFirst);
        }

        second.destroy(); // SIGTERM: the second process stops gracefully
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
      } finally {
        stop(first);
        stop(second);
      }
    }
  }

  private static void stop(Process p) throws InterruptedException {
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}

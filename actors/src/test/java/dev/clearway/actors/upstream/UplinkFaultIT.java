package dev.clearway.actors.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.hub.HubStandIn;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Endpoint;
import dev.clearway.streams.store.MessageStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The uplink under faults, with the gateway in this JVM and the hub stand-in stopped and started:
 * a 30-second hub outage under load, messages that expire while the hub is away, and a store that
 * fills while the hub is away. Each counts what devices sent, what the gateway acknowledged and
 * what the hub received, and fails on any acknowledged message the hub never got (duplicates are
 * allowed and reported: the uplink is at least once).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UplinkFaultIT {
  private static final Logger log = LoggerFactory.getLogger(UplinkFaultIT.class);
  private static final String HUB = GatewayFixture.HUB;

  private HubStandIn hub;

  @BeforeAll
  void startHub() {
    hub = HubStandIn.start(HUB);
  }

  @BeforeEach
  void hubRunning() {
    hub.start(); // a test that failed half-way may have left it stopped
  }

  @AfterAll
  void stopHub() {
    if (hub != null) {
      hub.close();
    }
  }

  /** The gateway's configuration with its uplink to the stand-in; retries at most 2 s apart. */
  private String uplinkConfig(String extra) {
    return """
        clearway.upstream.address = "127.0.0.1:%d"
        clearway.upstream.trust-bundle-cert = "%s"
        clearway.upstream.reconnect.min-backoff = 200ms
        clearway.upstream.reconnect.max-backoff = 2s
        """.formatted(hub.tlsPort(), hub.trustBundleFile().toAbsolutePath()) + extra;
  }

  /** Registers {@code count} SAS devices named {@code prefix0..} in the gateway and in the hub, with the same keys. */
  private List<TelemetryLoad.Device> devices(GatewayFixture gateway, String prefix, int count) throws Exception {
    List<TelemetryLoad.Device> devices = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String id = prefix + i;
      String key = gateway.addSas(id, null).primaryKey();
      hub.registerDevice(id, key);
      devices.add(new TelemetryLoad.Device(id, key));
    }
    return devices;
  }

  private static Supplier<TrustManagerFactory> trust(GatewayFixture gateway) throws Exception {
    TrustManagerFactory tmf = gateway.clientTrustManagers();
    return () -> tmf;
  }

  /** References waiting in the store's $upstream queues, all priorities. */
  private static long upstreamBacklog(MessageStore store) {
    return store.queueLengths().entrySet().stream().filter(e -> e.getKey().endpoint().equals(Endpoint.UPSTREAM))
        .mapToLong(e -> e.getValue()).sum();
  }

  private static UpstreamStatus.Connectivity connectivity(GatewayFixture gateway) {
    return gateway.gateway().upstreamStatus().connectivity();
  }

  @Test
  void aThirtySecondHubOutageUnderLoadLosesNothingAcknowledgedAndTheBacklogDrains(@TempDir Path dir) throws Exception {
    try (GatewayFixture gateway = GatewayFixture.start(dir, 0, uplinkConfig(""))) {
      List<TelemetryLoad.Device> devices = devices(gateway, "outage-", 5);
      MessageStore store = gateway.gateway().store();
      try (TelemetryLoad load = new TelemetryLoad(HUB, devices, gateway::port, trust(gateway)).pause(Duration.ofMillis(40)).window(4)) {
        load.start();
        await().atMost(Duration.ofSeconds(15)).until(() -> connectivity(gateway) == UpstreamStatus.Connectivity.ONLINE);
        hub.awaitTelemetry(t -> t.deviceId().startsWith("outage-"), Duration.ofSeconds(10));
        Thread.sleep(2_000);

        hub.stop();
        Instant outageStart = Instant.now();
        int ackedAtOutage = load.ackedCount();
        await().atMost(Duration.ofSeconds(10)).until(() -> connectivity(gateway) == UpstreamStatus.Connectivity.OFFLINE);
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), outageStart.plusSeconds(30)).toMillis()));
        long backlog = upstreamBacklog(store);
        int ackedDuringOutage = load.ackedCount() - ackedAtOutage;
        assertThat(connectivity(gateway)).as("still offline at the end of the outage").isEqualTo(UpstreamStatus.Connectivity.OFFLINE);
        assertThat(ackedDuringOutage).as("devices are acknowledged while the hub is away (store and forward)").isPositive();
        assertThat(backlog).as("the acknowledged messages wait in the store").isPositive();

        hub.start();
        Instant outageEnd = Instant.now();
        await().atMost(Duration.ofSeconds(15)).until(() -> connectivity(gateway) == UpstreamStatus.Connectivity.ONLINE);
        Duration backOnline = Duration.between(outageEnd, Instant.now());
        Thread.sleep(2_000);
        assertThat(load.stopPublishing(Duration.ofSeconds(10))).as("every publish answered").isTrue();

        Tally tally = Tally.await("outage", load, hub, id -> id.startsWith("outage-"), Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> upstreamBacklog(store) == 0);
        log.info("outage: {} acknowledged during the 30 s outage, backlog {} at its end, online again {} ms after the hub was;"
            + " {} device connections, offline_count {}", ackedDuringOutage, backlog, backOnline.toMillis(), load.connects(),
            gateway.gateway().counters().get(GatewayCounters.OFFLINE));
        assertThat(tally.missing()).as("acknowledged but never received: %s", tally.summary()).isEmpty();
        assertThat(tally.unknown()).as(tally.summary()).isEmpty();
        assertThat(tally.acked()).isPositive();
        assertThat(connectivity(gateway)).isEqualTo(UpstreamStatus.Connectivity.ONLINE);
        assertThat(gateway.gateway().counters().get(GatewayCounters.OFFLINE)).isGreaterThanOrEqualTo(1);
        assertThat(gateway.gateway().upstreamStatus().offlineEpisodes()).isGreaterThanOrEqualTo(1);
      }
    }
  }

  @Test
  void messagesThatExpireWhileTheHubIsAwayAreNeverSentAndAreCounted(@TempDir Path dir) throws Exception {
    hub.stop();
    try (GatewayFixture gateway = GatewayFixture.start(dir, 0, uplinkConfig("clearway.store-and-forward.time-to-live = 2s\n"))) {
      List<TelemetryLoad.Device> devices = devices(gateway, "ttl-", 2);
      MessageStore store = gateway.gateway().store();
      int perDevice = 25;
      try (TelemetryLoad load = new TelemetryLoad(HUB, devices, gateway::port, trust(gateway)).limit(perDevice)) {
        load.start();
        assertThat(load.awaitDone(Duration.ofSeconds(15))).as("every publish answered").isTrue();
        assertThat(load.ackedCount()).isEqualTo(2 * perDevice);
        Instant lastAck = Instant.now();
        assertThat(upstreamBacklog(store)).as("stored while the hub is away").isEqualTo(2L * perDevice);

        // Past the time-to-live (2 s) and a poll of the store (1 s): every reference expired and was removed.
        await().atMost(Duration.ofSeconds(10)).until(() -> store.ttlExpired() >= 2L * perDevice);
        assertThat(store.ttlExpired()).isEqualTo(2L * perDevice);
        assertThat(upstreamBacklog(store)).isZero();
        Duration expiredAfter = Duration.between(lastAck, Instant.now());

        hub.start();
        Instant back = Instant.now();
        // Each device's link reconnects (it had messages); anything it still held would go out first.
        await().atMost(Duration.ofSeconds(15)).until(() -> devices.stream().allMatch(d -> hub.connects().stream()
            .anyMatch(c -> c.clientId().equals(d.id()) && c.at().isAfter(back))));
        try (TelemetryLoad after = new TelemetryLoad(HUB, devices, gateway::port, trust(gateway)).limit(1).tag("after-")) {
          after.start();
          assertThat(after.awaitDone(Duration.ofSeconds(10))).isTrue();
          for (TelemetryLoad.Device d : devices) {
            hub.awaitTelemetry(t -> TelemetryLoad.idOf(t.body()).equals(d.id() + ":after-0"), Duration.ofSeconds(15));
          }
        }
        Thread.sleep(1_000);
        Set<String> expiredIds = load.acked();
        List<String> arrived = hub.telemetry().stream().map(t -> TelemetryLoad.idOf(t.body())).filter(expiredIds::contains).toList();
        log.info("ttl: sent {}, acknowledged {}, expired references counted {} ({} ms after the last acknowledgement);"
            + " the hub received {} of them and both later messages", load.sentCount(), load.ackedCount(), store.ttlExpired(),
            expiredAfter.toMillis(), arrived.size());
        assertThat(arrived).as("expired messages reached the hub").isEmpty();
        assertThat(store.ttlExpired()).isEqualTo(2L * perDevice);
        assertThat(upstreamBacklog(store)).isZero();
      }
    }
  }

  @Test
  void aFullStoreHoldsBackAcknowledgementsUntilTheHubDrainsIt(@TempDir Path dir) throws Exception {
    hub.stop();
    try (GatewayFixture gateway = GatewayFixture.start(dir, 0, uplinkConfig("clearway.streams.store.max-size = 64KiB\n"))) {
      List<TelemetryLoad.Device> devices = devices(gateway, "full-", 1);
      MessageStore store = gateway.gateway().store();
      int total = 300;
      try (TelemetryLoad load = new TelemetryLoad(HUB, devices, gateway::port, trust(gateway)).bodySize(1024).window(10).limit(total)) {
        load.start();
        // Acknowledgements stop once 64 KiB of 1 KB messages are stored: wait until the count holds still for 3 s.
        int[] last = {-1};
        Instant[] since = {Instant.now()};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
          int now = load.ackedCount();
          if (now != last[0]) {
            last[0] = now;
            since[0] = Instant.now();
          }
          return now > 0 && Duration.between(since[0], Instant.now()).toSeconds() >= 3;
        });
        int ackedWhileFull = load.ackedCount();
        int outstandingWhileFull = load.outstanding();
        assertThat(store.full()).as("the store says it is full").isTrue();
        assertThat(outstandingWhileFull).as("publishes wait for their acknowledgement").isPositive();
        assertThat(ackedWhileFull).isLessThan(total);
        assertThat(upstreamBacklog(store)).isEqualTo(ackedWhileFull);

        hub.start();
        assertThat(load.awaitDone(Duration.ofSeconds(45))).as("every publish acknowledged once the hub drained the store; acked %d",
            load.ackedCount()).isTrue();
        Tally tally = Tally.await("store-full", load, hub, id -> id.startsWith("full-"), Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(20)).until(() -> upstreamBacklog(store) == 0);
        log.info("store-full: acknowledgements held at {} with {} publishes waiting; all {} acknowledged after the hub came back",
            ackedWhileFull, outstandingWhileFull, load.ackedCount());
        assertThat(tally.acked()).isEqualTo(total);
        assertThat(tally.missing()).as("acknowledged but never received: %s", tally.summary()).isEmpty();
        assertThat(tally.unknown()).as(tally.summary()).isEmpty();
        assertThat(store.full()).isFalse();
      }
    }
  }
}

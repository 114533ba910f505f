package dev.clearway.actors.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The uplink's settings: the issue's keys and defaults, and one clear line for each wrong value. */
class UpstreamSettingsTest {

  private static Config config(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void withoutAHubNameThereIsNoUplink() {
    assertThat(UpstreamSettings.fromConfig(config("")).enabled()).isFalse();
  }

  @Test
  void theDefaultAddressIsTheHubOnMqttsPortWithTlsAndTheSystemTrustStore() {
    UpstreamSettings s = UpstreamSettings.fromConfig(config("clearway.hub.hostname = \"myhub.azure-devices.net\""));

    assertThat(s.enabled()).isTrue();
    assertThat(s.addressText()).isEqualTo("myhub.azure-devices.net:8883");
    assertThat(s.tls()).isTrue();
    assertThat(s.trustBundle()).isEmpty();
    assertThat(s.gatewayKey()).isEmpty();
    assertThat(s.maxInFlightPerIdentity()).isLessThanOrEqualTo(s.maxInFlight());
  }

  @Test
  void theIssuesKeysAreRead() {
    UpstreamSettings s = UpstreamSettings.fromConfig(config("""
        clearway.hub { hostname = "h.example", device-id = "gw", shared-access-key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }
        clearway.upstream { protocol = mqtt, address = "parent.local:18883", tls = off, trust-bundle-cert = "file:///etc/ca.pem" }
        clearway.upstream.reconnect.max-backoff = 5s
        """));

    assertThat(s.addressText()).isEqualTo("parent.local:18883");
    assertThat(s.tls()).isFalse();
    assertThat(s.trustBundle()).contains(Path.of("/etc/ca.pem"));
    assertThat(s.gatewayDeviceId()).isEqualTo("gw");
    assertThat(s.gatewayKey()).isPresent();
    assertThat(s.maxBackoff()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void wrongValuesNameTheKeyAndTheProblem() {
    String hub = "clearway.hub.hostname = h\n";
    String[][] cases = {
        {"clearway.upstream.protocol = amqp", "clearway.upstream.protocol: 'amqp' is not supported; the uplink speaks mqtt"},
        {"clearway.upstream.address = \"nohost\"", "clearway.upstream.address: must be host:port, was 'nohost'"},
        {"clearway.upstream.address = \"h:99999\"", "clearway.upstream.address: port must be 1-65535, was 99999"},
        {"clearway.upstream.address = \"h:x\"", "clearway.upstream.address: the port of 'h:x' is not a number"},
        {"clearway.upstream.tls = maybe", "clearway.upstream.tls: must be on or off"},
        {"clearway.upstream.trust-bundle-cert = \"https://example.com/ca.pem\"",
            "clearway.upstream.trust-bundle-cert: 'https://example.com/ca.pem' is not supported; use a file:/// URI or a path"},
        {"clearway.hub.shared-access-key = \"not base64!\"", "clearway.hub.shared-access-key: is not valid base64 of at least 16 bytes"},
        {"clearway.upstream.reconnect.min-backoff = 10s\nclearway.upstream.reconnect.max-backoff = 1s",
            "clearway.upstream.reconnect.max-backoff: must not be shorter than min-backoff (PT10S)"},
        {"clearway.upstream.reconnect.random-factor = 2", "clearway.upstream.reconnect.random-factor: must be between 0 and 1, was 2.0"},
        {"clearway.upstream.max-in-flight = 0", "clearway.upstream.max-in-flight: must be between 1 and 1000000, was 0"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> UpstreamSettings.fromConfig(config(hub + c[0])))
          .as(c[0]).isInstanceOf(RuntimeException.class).hasMessage(c[1]);
    }
  }

  @Test
  void statusCountsOfflineEpisodesAndTheirDuration() {
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    UpstreamStatus status = new UpstreamStatus(UpstreamStatus.Connectivity.UNKNOWN, t0);

    assertThat(status.moveTo(UpstreamStatus.Connectivity.OFFLINE, t0)).isTrue();
    assertThat(status.moveTo(UpstreamStatus.Connectivity.OFFLINE, t0.plusSeconds(5))).isFalse();
    assertThat(status.offlineDuration(t0.plusSeconds(10))).isEqualTo(Duration.ofSeconds(10));
    status.moveTo(UpstreamStatus.Connectivity.ONLINE, t0.plusSeconds(30));
    status.moveTo(UpstreamStatus.Connectivity.OFFLINE, t0.plusSeconds(40));

    assertThat(status.offlineEpisodes()).isEqualTo(2);
    assertThat(status.offlineDuration(t0.plusSeconds(41))).isEqualTo(Duration.ofSeconds(31));
    assertThat(status.since()).isEqualTo(t0.plusSeconds(40));
    assertThat(status.connectivity()).isEqualTo(UpstreamStatus.Connectivity.OFFLINE);
  }
}

package dev.clearway.actors.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.clearway.actors.metrics.MetricsSettings;
import dev.clearway.actors.mqtt.MqttListenerSettings;
import dev.clearway.actors.session.SessionSettings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The actors module's settings: defaults from reference.conf, and one clear line for each wrong value. */
class GatewaySettingsTest {

  private static Config config(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void theDefaultsAreIotHubs() {
    MqttListenerSettings mqtt = MqttListenerSettings.fromConfig(config(""));
    SessionSettings sessions = SessionSettings.fromConfig(config(""));

    assertThat(mqtt.port()).isEqualTo(8883);
    assertThat(mqtt.maxConnections()).isEqualTo(10_000);
    assertThat(mqtt.maxPendingPublishes()).isEqualTo(16);
    assertThat(sessions.maxPendingCloudToDevice()).isEqualTo(50);
    assertThat(sessions.defaultMethodTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(sessions.maxTwinBytes()).isEqualTo(32 * 1024);
  }

  @Test
  void metricsAreServedWhereIotEdgesHubServesThem() {
    MetricsSettings metrics = MetricsSettings.fromConfig(config(""));

    assertThat(metrics.enabled()).isTrue();
    assertThat(metrics.host()).isEqualTo("0.0.0.0");
    assertThat(metrics.port()).isEqualTo(9600);
    assertThat(metrics.maxLabelValues()).isEqualTo(100);
    assertThat(metrics.quantileWindow()).isEqualTo(Duration.ofMinutes(1));
    assertThat(metrics.storeReadTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(metrics.maxConnections()).isEqualTo(16);
  }

  @Test
  void wrongMetricsSettingsNameTheKeyAndTheProblem() {
    String[][] cases = {
        {"clearway.metrics.enabled = maybe", "clearway.metrics.enabled: must be on or off"},
        {"clearway.metrics.host = \"\"", "clearway.metrics.host: must be an address to bind to, such as 0.0.0.0"},
        {"clearway.metrics.port = -1", "clearway.metrics.port: must be between 0 and 65535, was -1"},
        {"clearway.metrics.max-label-values = -5", "clearway.metrics.max-label-values: must be between 0 and 100000, was -5"},
        {"clearway.metrics.quantile-window = 1s", "clearway.metrics.quantile-window: must be between PT3S and PT1H, was PT1S"},
        {"clearway.metrics.store-read-timeout = 0s", "clearway.metrics.store-read-timeout: must be positive, was PT0S"},
        {"clearway.metrics.max-connections = 0", "clearway.metrics.max-connections: must be between 1 and 1024, was 0"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> MetricsSettings.fromConfig(config(c[0]))).as(c[0])
          .isInstanceOf(IllegalArgumentException.class).hasMessage(c[1]);
    }
  }

  @Test
  void wrongValuesNameTheKeyAndTheProblem() {
    String[][] cases = {
        {"clearway.mqtt.port = 70000", "clearway.mqtt.port: must be between 0 and 65535, was 70000"},
        {"clearway.mqtt.port = eighty", "clearway.mqtt.port: must be a whole number"},
        {"clearway.mqtt.connect-timeout = 0s", "clearway.mqtt.connect-timeout: must be positive, was PT0S"},
        {"clearway.mqtt.tls-handshake-timeout = soon", "clearway.mqtt.tls-handshake-timeout: must be a duration such as 10s"},
        {"clearway.mqtt.max-pending-publishes = 128", "clearway.mqtt.max-pending-publishes: must be between 1 and 127, was 128"},
        {"clearway.mqtt.max-pending-publishes = 0", "clearway.mqtt.max-pending-publishes: must be between 1 and 127, was 0"},
        {"clearway.sessions.default-method-timeout = 1s", "clearway.sessions.default-method-timeout: must be between PT5S and PT5M, was PT1S"},
        {"clearway.sessions.max-twin-size = big", "clearway.sessions.max-twin-size: must be a size such as 32KiB"},
        {"clearway.sessions.max-inflight-cloud-to-device = 0", "clearway.sessions.max-inflight-cloud-to-device: must be between 1 and 1000, was 0"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> {
        MqttListenerSettings.fromConfig(config(c[0]));
        SessionSettings.fromConfig(config(c[0]));
      }).as(c[0]).isInstanceOf(IllegalArgumentException.class).hasMessage(c[1]);
    }
  }
}

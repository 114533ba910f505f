package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.clearway.actors.upstream.UpstreamSettings;
import dev.clearway.streams.store.StoreSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The gateway configuration the end-to-end harness writes, read by the gateway's own settings classes. */
class EndToEndConfigTest {

  private static Config config() {
    return ConfigFactory.parseString(EndToEnd.gatewayConfig(28883, 18883, Path.of("/runs/1/pki/ca.pem"), true))
        .withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void theUplinkGoesToTheUpstreamOverTlsCheckedAgainstTheHarnesssCa() {
    UpstreamSettings up = UpstreamSettings.fromConfig(config());
    assertThat(up.enabled()).isTrue();
    assertThat(up.hubHostname()).isEqualTo(EndToEnd.HUB);
    assertThat(up.addressText()).isEqualTo("127.0.0.1:18883");
    assertThat(up.tls()).isTrue();
    assertThat(up.trustBundle()).contains(Path.of("/runs/1/pki/ca.pem"));
  }

  @Test
  void theStoreIsDurableAndEveryMessageIsRoutedUpstream() {
    Config c = config();
    assertThat(StoreSettings.create(c).sync()).isTrue();
    assertThat(c.getString("clearway.routes.upstream")).isEqualTo("FROM /messages/* INTO $upstream");
    assertThat(c.getInt("clearway.mqtt.port")).isEqualTo(28883);
    assertThat(c.getString("clearway.mqtt.bind-address")).isEqualTo("127.0.0.1");
  }
}

package dev.clearway.streams.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

class MqttSettingsTest {

  private static Config with(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void defaultIsIotHubsMessageLimitPlusTheLongestTopicAndHeaders() {
    assertThat(MqttSettings.create(ConfigFactory.defaultReference()).maxPacketSize())
        .isEqualTo(262_144 + 2 + 65_535 + 2 + 5);
  }

  @Test
  void acceptsHoconSizes() {
    assertThat(MqttSettings.create(with("clearway.streams.mqtt.max-packet-size = 1MiB")).maxPacketSize())
        .isEqualTo(1_048_576);
  }

  @Test
  void notASizeIsOneLineNamingTheKey() {
    assertThatThrownBy(() -> MqttSettings.create(with("clearway.streams.mqtt.max-packet-size = lots")))
        .isInstanceOf(MqttSettings.MqttSettingsException.class)
        .hasMessageStartingWith("clearway.streams.mqtt.max-packet-size: must be a size")
        .hasMessageNotContaining("\n");
  }

  @Test
  void tooSmallIsRefused() {
    assertThatThrownBy(() -> MqttSettings.create(with("clearway.streams.mqtt.max-packet-size = 1")))
        .hasMessage("clearway.streams.mqtt.max-packet-size: 1 bytes is outside 2..268435460");
  }

  @Test
  void beyondWhatMqttCanExpressIsRefused() {
    assertThatThrownBy(() -> MqttSettings.create(with("clearway.streams.mqtt.max-packet-size = 1GiB")))
        .hasMessageStartingWith("clearway.streams.mqtt.max-packet-size: 1073741824 bytes is outside");
  }
}

package dev.clearway.streams.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StoreSettingsTest {

  @Test
  void referenceConfDefaults() {
    StoreSettings s = StoreSettings.create(ConfigFactory.load());
    assertThat(s).isEqualTo(new StoreSettings(true, 512, 4L * 1024 * 1024, 4096, 1024, 2L * 1024 * 1024 * 1024, Duration.ofMinutes(5),
        Duration.ofNanos(500_000)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "sync = maybe | clearway.streams.store.sync: must be true or false",
      "max-batch-messages = 0 | clearway.streams.store.max-batch-messages: 0 messages is outside 1 .. 65536",
      "max-batch-bytes = lots | clearway.streams.store.max-batch-bytes: must be a size such as 4MiB",
      "max-pending-appends = 0 | clearway.streams.store.max-pending-appends: 0 appends is outside 1 .. 1048576",
      "max-size = 10 | clearway.streams.store.max-size: 10 bytes is outside 1024 .. ",
      "cleanup-interval = 10ms | clearway.streams.store.cleanup-interval: PT0.01S is outside 1s .. 7d",
  })
  void aWrongSettingNamesItsKey(String setting, String message) {
    var config = ConfigFactory.parseString("clearway.streams.store." + setting).withFallback(ConfigFactory.load());
    assertThatThrownBy(() -> StoreSettings.create(config)).hasMessageStartingWith(message.strip());
  }
}

package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The end-to-end harness's command line and the defaults run.sh relies on. */
class E2eOptionsTest {

  @Test
  void defaultsAreAHundredDevicesAWindowOfTenAndThirtySecondWindowsAfterFifteenSecondWarmUpsAgainstBothSystems() {
    E2eOptions o = E2eOptions.parse(new String[0]);
    assertThat(o.devices()).isEqualTo(100);
    assertThat(o.window()).isEqualTo(10);
    assertThat(o.windowScope()).isEqualTo(LoadGenerator.WindowScope.END_TO_END);
    assertThat(o.warmupSeconds()).isEqualTo(15);
    assertThat(o.durationSeconds()).isEqualTo(30);
    assertThat(o.rate()).as("half of Clearway's max unless given").isEmpty();
    assertThat(o.messageBytes()).isEqualTo(1024);
    assertThat(o.systems()).containsExactly("clearway", "mosquitto");
    assertThat(o.jfr()).isFalse();
    assertThat(o.storeSync()).as("the durable store, as the comparison requires").isTrue();
    assertThat(o.gatewayJvmFlags()).containsExactly("-Xms1g", "-Xmx1g", "-XX:+UseG1GC");
  }

  @Test
  void everyOptionIsRead() {
    E2eOptions o = E2eOptions.parse(new String[] {"--devices", "8", "--window", "3", "--window-scope", "puback", "--warmup", "2", "--duration", "5",
        "--rate", "400", "--systems", "mosquitto", "--gateway-heap", "512m", "--bridge-inflight", "20", "--jfr",
        "--tls", "TLSv1.2", "--store-sync", "false", "--gateway-flags", " -Dclearway.a=1  -XX:+AlwaysPreTouch ", "--work-dir", "/tmp/w", "--plot-dir", "/tmp/p", "--fragment", "/tmp/f.md"});
    assertThat(o.devices()).isEqualTo(8);
    assertThat(o.window()).isEqualTo(3);
    assertThat(o.windowScope()).isEqualTo(LoadGenerator.WindowScope.PUBACK);
    assertThat(o.rate()).contains(400);
    assertThat(o.systems()).isEqualTo(List.of("mosquitto"));
    assertThat(o.gatewayJvmFlags()).startsWith("-Xms512m", "-Xmx512m");
    // Recording from the JVM's start: started mid-run, JFR's instrumentation would send the measured window recompiling.
    assertThat(o.gatewayJvmFlags()).contains("-XX:StartFlightRecording=name=" + E2eOptions.JFR_RECORDING + ",settings=profile,maxage=30m");
    assertThat(o.gatewayJvmFlags()).as("extra flags come last, so they override the harness's").endsWith("-Dclearway.a=1", "-XX:+AlwaysPreTouch");
    assertThat(o.bridgeInflight()).isEqualTo(20);
    assertThat(o.jfr()).isTrue();
    assertThat(o.tls()).isEqualTo("TLSv1.2");
    assertThat(o.storeSync()).isFalse();
    assertThat(o.fragment()).isEqualTo(Path.of("/tmp/f.md"));
  }

  @Test
  void refusesWhatTheHarnessCannotRun() {
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--systems", "clearway,emqx"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown system 'emqx'");
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--systems", "clearway,clearway"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("named twice");
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--gateway-heap", "lots"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--gateway-heap");
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--message-bytes", "16"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--message-bytes must be between 32");
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--gateway-flags", "-Da=1 Xmx2g"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--gateway-flags: 'Xmx2g' is not a JVM flag");
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--window-scope", "ack"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--window-scope must be end-to-end or puback");
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--store-sync", "yes"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--store-sync must be true or false");
    assertThatThrownBy(() -> E2eOptions.parse(new String[] {"--tls", "SSLv3"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--tls");
  }
}

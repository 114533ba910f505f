package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.benchmarks.IdleConnectionMemory.Options;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The harness's command line and the gateway flags derived from it. */
class IdleConnectionMemoryOptionsTest {

  @Test
  void defaultsAreFiveThousandConnectionsOverABaselineOfAHundredOnAOneGigabyteHeap() {
    Options o = Options.parse(new String[0]);
    assertThat(o.connections()).isEqualTo(5000);
    assertThat(o.baseline()).isEqualTo(100);
    assertThat(o.warmup()).isEqualTo(1000);
    assertThat(o.nmt()).isFalse();
    assertThat(o.mosquitto()).isFalse();
    assertThat(o.perAddress()).isEqualTo(5000);
    assertThat(o.dumpDir()).isEmpty();
    assertThat(o.fragment()).as("appends to RESULTS.md").isEmpty();
    assertThat(IdleConnectionMemory.gatewayJvmFlags(o))
        .containsExactly("-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:+AlwaysPreTouch");
  }

  @Test
  void valuedOptionsAndFlagsMixAndNmtAddsItsJvmFlag() {
    Options o = Options.parse(new String[] {"--nmt", "--connections", "1000", "--gateway-heap", "2g", "--dump-dir", "/tmp/x", "--tls", "TLSv1.2"});
    assertThat(o.connections()).isEqualTo(1000);
    assertThat(o.tls()).isEqualTo("TLSv1.2");
    assertThat(o.dumpDir()).isEqualTo(Optional.of(Path.of("/tmp/x")));
    assertThat(IdleConnectionMemory.gatewayJvmFlags(o))
        .containsExactly("-Xms2g", "-Xmx2g", "-XX:+UseG1GC", "-XX:+AlwaysPreTouch", "-XX:NativeMemoryTracking=summary");
  }

  @Test
  void refusesUnknownOptionsMissingValuesAndABaselineThatLeavesNothingToMeasure() {
    assertThatThrownBy(() -> Options.parse(new String[] {"--conections", "10"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--conections");
    assertThatThrownBy(() -> Options.parse(new String[] {"--connections"}))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Options.parse(new String[] {"--connections", "100", "--baseline", "100"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--baseline");
    assertThatThrownBy(() -> Options.parse(new String[] {"--warmup", "-1"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--warmup");
  }

  @Test
  void runShsOptionsAreRead() {
    Options o = Options.parse(new String[] {"--connections", "10000", "--per-address", "5000", "--mosquitto",
        "--fragment", "/tmp/run/idle.md", "--work-dir", "/tmp/run/idle"});
    assertThat(o.mosquitto()).isTrue();
    assertThat(o.fragment()).contains(Path.of("/tmp/run/idle.md"));
    assertThat(o.workDir()).contains(Path.of("/tmp/run/idle"));
  }

  @Test
  void connectionsAreSpreadOverSourceAddressesFrom127002AtMostPerAddressEach() {
    assertThat(IdleConnectionMemory.sourceAddress(0, 5000)).isEqualTo("127.0.0.2");
    assertThat(IdleConnectionMemory.sourceAddress(4999, 5000)).isEqualTo("127.0.0.2");
    assertThat(IdleConnectionMemory.sourceAddress(5000, 5000)).isEqualTo("127.0.0.3");
    assertThat(IdleConnectionMemory.sourceAddress(10_999, 5000)).isEqualTo("127.0.0.4");
    assertThat(IdleConnectionMemory.sourceAddresses(11_000, 5000)).isEqualTo(3);
    assertThat(IdleConnectionMemory.sourceAddresses(10_000, 5000)).isEqualTo(2);
  }

  @Test
  void moreSourceAddressesThanTheLoopbackNetHasAreRefused() {
    assertThatThrownBy(() -> Options.parse(new String[] {"--connections", "10000", "--per-address", "39", "--warmup", "0"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--per-address 39");
    // 127 addresses fit alone, not twice over with the Mosquitto comparison.
    Options.parse(new String[] {"--connections", "5080", "--per-address", "40", "--warmup", "0"});
    assertThatThrownBy(() -> Options.parse(new String[] {"--connections", "5080", "--per-address", "40", "--warmup", "0", "--mosquitto"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("with --mosquitto");
  }
}

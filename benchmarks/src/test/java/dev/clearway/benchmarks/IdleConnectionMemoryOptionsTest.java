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
    assertThat(o.dumpDir()).isEmpty();
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
}

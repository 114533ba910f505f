package dev.clearway.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plots: the percentile axis, and that both charts come out as readable PNGs. */
class PlotsTest {

  @Test
  void theLatencyAxisIsLabelledAtTheNinesAndNowhereElse() {
    assertThat(Plots.percentileLabel(0)).isEqualTo("0%");
    assertThat(Plots.percentileLabel(1)).isEqualTo("90%");
    assertThat(Plots.percentileLabel(2)).isEqualTo("99%");
    assertThat(Plots.percentileLabel(4)).isEqualTo("99.99%");
    assertThat(Plots.percentileLabel(2.5)).isEmpty();
  }

  @Test
  void percentilePointsRiseWithThePercentileAndStopShortOfOneHundred() {
    Histogram h = new Histogram(3);
    for (int i = 1; i <= 10_000; i++) {
      h.recordValue(i); // 1 µs to 10 ms
    }
    List<double[]> points = Plots.percentilePoints(h);
    assertThat(points).isNotEmpty();
    for (int i = 1; i < points.size(); i++) {
      assertThat(points.get(i)[0]).isGreaterThan(points.get(i - 1)[0]);
      assertThat(points.get(i)[1]).isGreaterThanOrEqualTo(points.get(i - 1)[1]);
    }
    double[] last = points.get(points.size() - 1);
    assertThat(last[1]).as("ms").isLessThanOrEqualTo(10.1);
    assertThat(Plots.percentilePoints(new Histogram(3))).isEmpty();
  }

  @Test
  void bothChartsAreWrittenAsPngs(@TempDir Path dir) throws Exception {
    List<PhaseResult> results = List.of(
        E2eReportTest.result(E2eReport.CLEARWAY, PhaseResult.Mode.CLOSED_LOOP, 8000, 40_000, 0),
        E2eReportTest.result(E2eReport.MOSQUITTO, PhaseResult.Mode.FIXED_RATE, 4000, 2_000, 0));
    Plots.throughput(results, dir.resolve("t.png"));
    Plots.latency(results, "latency", dir.resolve("l.png"));
    for (String name : List.of("t.png", "l.png")) {
      BufferedImage image = ImageIO.read(Files.newInputStream(dir.resolve(name)));
      assertThat(image.getWidth()).isEqualTo(1000);
      assertThat(image.getHeight()).isEqualTo(560);
    }
  }
}

package dev.clearway.benchmarks;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.AnnotationLine;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The end-to-end run's PNG plots (XChart): throughput over time and the latency percentile
 * distribution, both systems on one chart each.
 */
final class Plots {
  private static final Color CLEARWAY = new Color(0, 114, 178);
  private static final Color MOSQUITTO = new Color(213, 94, 0);

  static {
    // Plots are drawn off-screen; a harness on a server has no display.
    System.setProperty("java.awt.headless", "true");
  }

  private Plots() {}

  /**
   * Messages arriving at the upstream per second, from each phase's start: closed-loop phases
   * solid, fixed-rate phases dashed. A vertical line marks the end of the warm-up.
   */
  static void throughput(List<PhaseResult> results, Path png) throws IOException {
    XYChart chart = new XYChartBuilder().width(1000).height(560)
        .title("Throughput at the upstream broker (1 KB QoS 1 messages over TLS)")
        .xAxisTitle("seconds since the phase started (warm-up left of the grey line)").yAxisTitle("messages/s arrived")
        .build();
    style(chart);
    int warmup = 0;
    for (PhaseResult r : results) {
      long[] series = trimmed(r);
      double[] x = new double[series.length];
      double[] y = new double[series.length];
      for (int i = 0; i < series.length; i++) {
        x[i] = i;
        y[i] = series[i];
      }
      if (x.length == 0) {
        continue;
      }
      XYSeries s = chart.addSeries(r.system() + ", " + r.mode().label, x, y);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(r.system().equals(E2eReport.CLEARWAY) ? CLEARWAY : MOSQUITTO);
      s.setLineStyle(r.mode() == PhaseResult.Mode.CLOSED_LOOP
          ? new BasicStroke(2f) : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
      warmup = r.warmupSeconds();
    }
    if (warmup > 0) {
      chart.addAnnotation(new AnnotationLine(warmup, true, false));
    }
    save(chart, png);
  }

  /** The phase's series up to its last non-empty second (the drain's tail of zeros goes). */
  private static long[] trimmed(PhaseResult r) {
    long[] all = r.arrivalsPerSecond();
    int last = all.length;
    while (last > 0 && all[last - 1] == 0) {
      last--;
    }
    long[] out = new long[last];
    System.arraycopy(all, 0, out, 0, last);
    return out;
  }

  /**
   * Latency against percentile, HdrHistogram style: x is log10(1 / (1 - percentile)), so 90 %, 99 %,
   * 99.9 % and 99.99 % are evenly spaced (labelled at the whole numbers); y is milliseconds on a log
   * scale.
   */
  static void latency(List<PhaseResult> results, String title, Path png) throws IOException {
    XYChart chart = new XYChartBuilder().width(1000).height(560).title(title)
        .xAxisTitle("percentile").yAxisTitle("end-to-end latency, ms (log scale)").build();
    style(chart);
    chart.getStyler().setYAxisLogarithmic(true).setYAxisLogarithmicDecadeOnly(false).setXAxisMin(0.0);
    chart.setCustomXAxisTickLabelsFormatter(Plots::percentileLabel);
    for (PhaseResult r : results) {
      List<double[]> points = percentilePoints(r.latencyMicros());
      if (points.isEmpty()) {
        continue;
      }
      double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
      double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
      XYSeries s = chart.addSeries(String.format(Locale.ROOT, "%s, %s (p99 %s ms)", r.system(), r.mode().label,
          E2eReport.ms(r.latencyMillis(99))), x, y);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(r.system().equals(E2eReport.CLEARWAY) ? CLEARWAY : MOSQUITTO);
      s.setLineStyle(new BasicStroke(2f));
    }
    save(chart, png);
  }

  /** (log10(1 / (1 - p)), latency ms) points of a histogram, below 100 %; none when it is empty. */
  static List<double[]> percentilePoints(Histogram h) {
    List<double[]> points = new ArrayList<>();
    if (h.getTotalCount() == 0) {
      return points;
    }
    for (HistogramIterationValue v : h.percentiles(5)) {
      double p = v.getPercentileLevelIteratedTo() / 100.0;
      if (p >= 1.0) {
        break; // the last step is 100 %, which has no place on a 1 / (1 - p) axis
      }
      points.add(new double[] {Math.log10(1.0 / (1.0 - p)), Math.max(0.001, h.highestEquivalentValue(v.getValueIteratedTo()) / 1000.0)});
    }
    return points;
  }

  /** 0 → "0%", 1 → "90%", 2 → "99%", 3 → "99.9%"; "" between whole numbers (ticks without a label). */
  static String percentileLabel(double x) {
    long n = Math.round(x);
    if (Math.abs(x - n) > 1e-6 || n < 0) {
      return "";
    }
    return switch ((int) n) {
      case 0 -> "0%";
      case 1 -> "90%";
      case 2 -> "99%";
      default -> "99." + "9".repeat((int) n - 2) + "%";
    };
  }

  private static void style(XYChart chart) {
    chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE).setChartBackgroundColor(Color.WHITE)
        .setAntiAlias(true);
  }

  private static void save(XYChart chart, Path png) throws IOException {
    Files.createDirectories(png.toAbsolutePath().getParent());
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}

package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code clearway demo} end to end: gateway, hub stand-in and HiveMQ devices in one process, a few
 * devices for a few seconds, in this JVM through picocli and as the shipped jar stopped by a signal.
 */
class DemoCommandIT {
  /** A live line: time, received/s, stored, forwarded/s, queue, p99 (ms, or - in a second without messages at the hub). */
  private static final Pattern LIVE_LINE = Pattern.compile("(?m)^\\s+\\d+s\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+(\\d+\\.\\d|-)$");

  @TempDir Path dir;

  @Test
  void theDemoPrintsALineASecondAndASummaryWhoseCountsAddUp() {
    CommandRun r = CommandRun.of("demo", "--devices", "3", "--rate", "60", "--duration", "4s");

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("   time  received/s   stored  forwarded/s  queue  p99 ms");
    assertThat(LIVE_LINE.matcher(r.out()).results().count()).as(r.out()).isGreaterThanOrEqualTo(4);
    assertSummaryAddsUp(r.out());
  }

  @Test
  void theJarStoppedByASignalStopsTheDevicesAndStillPrintsTheSummary() throws Exception {
    Path log = dir.resolve("demo.log");
    Process demo = ClearwayJar.start(dir, log, "demo", "--devices", "2", "--rate", "40", "--duration", "10m");
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (LIVE_LINE.matcher(Files.readString(log)).results().count() < 2) {
        assertThat(demo.isAlive()).as(Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as("two live lines within 90 s:%n%s", Files.readString(log)).isLessThan(deadline);
        Thread.sleep(200);
      }
      // The gateway's metrics are served while the demo runs, at the address it printed.
      Matcher url = Pattern.compile("metrics  (http://127\\.0\\.0\\.1:\\d+/metrics)").matcher(Files.readString(log));
      assertThat(url.find()).as(Files.readString(log)).isTrue();
      HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url.group(1))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(scrape.statusCode()).isEqualTo(200);
      Matcher received = Pattern.compile("(?m)^edgehub_messages_received_total\\{[^}]*\\} ([0-9.E]+)$").matcher(scrape.body());
      assertThat(received.find()).as(scrape.body()).isTrue();
      assertThat(Double.parseDouble(received.group(1))).as("messages the devices sent so far").isPositive();

      // SIGTERM; Ctrl-C's SIGINT takes the same path (the JVM's shutdown, which the demo waits in).
      demo.destroy();
      assertThat(demo.waitFor(90, TimeUnit.SECONDS)).as("stopped within 90 s").isTrue();
      String out = Files.readString(log);
      assertThat(demo.exitValue()).as(out).isZero();
      assertThat(out).contains("stop signal after").contains("(stopped by a signal)");
      assertSummaryAddsUp(out);
    } finally {
      demo.destroyForcibly();
    }
  }

  /** received = forwarded + dropped by the route, the hub got what was forwarded, nothing acknowledged was lost. */
  private static void assertSummaryAddsUp(String out) {
    long sent = count(out, "sent by the devices");
    long acknowledged = count(out, "acknowledged by the gateway");
    long received = count(out, "received by the gateway");
    long dropped = count(out, "dropped by the route");
    long forwarded = count(out, "forwarded to the hub");
    long atHub = count(out, "received at the hub");
    assertThat(sent).as(out).isPositive();
    assertThat(acknowledged).as(out).isEqualTo(sent);
    assertThat(received).as(out).isEqualTo(acknowledged);
    assertThat(dropped).as("the route drops some readings:%n%s", out).isPositive();
    assertThat(forwarded).as("the route forwards some readings:%n%s", out).isPositive();
    assertThat(received).as(out).isEqualTo(forwarded + dropped);
    assertThat(atHub).as(out).isEqualTo(forwarded);
    assertThat(count(out, "lost")).as(out).isZero();
    assertThat(out).contains("Nothing the gateway acknowledged was lost.");
  }

  private static long count(String out, String row) {
    Matcher m = Pattern.compile("(?m)^  " + Pattern.quote(row) + "\\s+(\\d+)").matcher(out);
    assertThat(m.find()).as("a row '%s' in%n%s", row, out).isTrue();
    return Long.parseLong(m.group(1));
  }
}

package dev.clearway.benchmarks;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The end-to-end comparison as a Markdown section of RESULTS.md: settings, the targets with the
 * Clearway/Mosquitto ratios, every phase's figures, CPU and memory, the plots and (with
 * {@code --jfr}) the gateway's hot methods. A pure function of the results.
 */
final class E2eReport {
  static final String CLEARWAY = "Clearway";
  static final String MOSQUITTO = "Mosquitto bridge";
  /** Targets of issue 6, reported against, never asserted. */
  static final double THROUGHPUT_RATIO_TARGET = 1.2;
  static final double P99_TARGET_MILLIS = 5.0;

  private E2eReport() {}

  /**
   * One run of the harness.
   *
   * @param rateOrigin how the fixed rate was chosen, e.g. "half of Clearway's closed-loop throughput"
   * @param plots Markdown image links, e.g. "![…](results/e2e-throughput.png)"
   * @param profile the JFR summary section, or ""
   */
  record Run(String date, String machine, String jdk, String loadAverage, String command, E2eOptions options,
             double rate, String rateOrigin, String mosquittoVersion, List<PhaseResult> results, List<String> plots,
             String profile) {}

  static String render(Run run) {
    E2eOptions o = run.options();
    StringBuilder b = new StringBuilder();
    b.append("### End to end: Clearway and a Mosquitto bridge (").append(run.date()).append(")\n\n");
    b.append("The same load, in the same run, against each system in turn: devices → system under test → "
        + "upstream Mosquitto (standing in for the hub) → the harness's subscriber. Throughput is what arrived "
        + "at the upstream per second of the measured window; latency is from the intended send time to the "
        + "arrival upstream (one JVM clock).\n\n");
    b.append("| | |\n|---|---|\n");
    row(b, "machine", run.machine());
    row(b, "load average at start", run.loadAverage());
    row(b, "JDK", run.jdk());
    row(b, "command", "`" + run.command() + "`");
    row(b, "devices (K)", o.devices() + " HiveMQ MQTT 3.1.1 clients over " + o.tls() + ", QoS 1, "
        + String.format(Locale.ROOT, "%,d", o.messageBytes()) + "-byte messages to `devices/{id}/messages/events/`, "
        + "SAS user names and passwords");
    row(b, "closed loop", o.window() + " messages in flight per device (" + o.window() * o.devices() + " in all), "
        + (o.windowScope() == LoadGenerator.WindowScope.END_TO_END
            ? "each from its send until it is both acknowledged (PUBACK) and arrived upstream: a system that "
              + "acknowledges before it forwards cannot queue without bound"
            : "each until its PUBACK only (`--window-scope puback`): a system that acknowledges before it forwards "
              + "may queue without bound"));
    row(b, "fixed rate", String.format(Locale.ROOT, "%,.0f messages/s in total (%s), round-robin over the devices",
        run.rate(), run.rateOrigin()));
    row(b, "each phase", o.warmupSeconds() + " s warm-up (not counted), then " + o.durationSeconds()
        + " s measured, then a drain until every acknowledged message arrived");
    row(b, "Clearway", "`clearway.jar run`, JVM `" + String.join(" ", o.gatewayJvmFlags()) + "`, "
        + (o.storeSync() ? "durable store `clearway.streams.store.sync = true`"
            : "**store without fsync, `clearway.streams.store.sync = false` (a diagnostic run, not the comparison)**")
        + ", route `FROM /messages/* INTO $upstream`, uplink MQTT/TLS to the upstream "
        + "(one connection per device), devices added with `clearway devices add`");
    row(b, "Mosquitto bridge", run.mosquittoVersion() + ", TLS listener for the devices, `connection` to the upstream "
        + "over TLS (`bridge_cafile`, host name checked), `topic devices/# out 1`, `max_inflight_messages "
        + o.bridgeInflight() + "`, `max_queued_messages " + Mosquitto.MAX_QUEUED + "`, persistence off (its default)");
    row(b, "upstream", run.mosquittoVersion() + ", TLS listener (ECDSA P-256 certificate from `openssl`), plain "
        + "loopback listener for the subscriber (QoS 1)");
    b.append('\n');
    targets(b, run.results());
    b.append("\nLatency is end to end (send → arrival upstream); the PUBACK columns are the part until the system "
        + "under test acknowledged (for Clearway: until the message was stored).\n\n");
    b.append("| system | load | offered msg/s | acknowledged msg/s | **arrived msg/s upstream** | p50 ms | p90 ms | "
        + "**p99 ms** | p99.9 ms | max ms | PUBACK p50 ms | PUBACK p99 ms | sent | lost | duplicates | drain s |\n");
    b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (PhaseResult r : run.results()) {
      b.append(String.format(Locale.ROOT, "| %s | %s | %s | %,.0f | **%,.0f** | %s | %s | **%s** | %s | %s | %s | %s | %,d | %s | %,d | %.1f |%n",
          r.system(), r.mode().label + (r.keptUp() ? "" : " (fell behind, stopped early)"),
          r.mode() == PhaseResult.Mode.FIXED_RATE ? String.format(Locale.ROOT, "%,.0f", r.targetRate()) : "as fast as the window allows",
          r.ackedPerSecond(), r.arrivedPerSecond(), ms(r.latencyMillis(50)), ms(r.latencyMillis(90)), ms(r.latencyMillis(99)),
          ms(r.latencyMillis(99.9)), ms(r.maxLatencyMillis()), ms(r.ackLatencyMillis(50)), ms(r.ackLatencyMillis(99)),
          r.sent(), lostCell(r), r.duplicates(), r.drainSeconds()));
    }
    b.append("\nCPU (percent of one core, averaged over the measured window; the machine has ")
        .append(Runtime.getRuntime().availableProcessors()).append(" cores) and resident memory at the window's end. "
            + "The last row of each phase is what other work on the machine used meanwhile: the figures are only as "
            + "clean as it is small.\n\n");
    b.append("| system | load | process | CPU % | CPU µs per message | RSS MB | peak RSS MB |\n"
        + "|---|---|---|---:|---:|---:|---:|\n");
    for (PhaseResult r : run.results()) {
      for (ProcessMeter.Use u : r.processes()) {
        boolean others = u.process().equals(EndToEnd.OTHERS);
        b.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %s | %s | %s |%n", r.system(), r.mode().label,
            u.process(), u.cpuPercent(), others || r.arrivedPerSecond() <= 0 ? ""
                : String.format(Locale.ROOT, "%,.0f", cpuMicrosPerMessage(u.cpuPercent(), r.arrivedPerSecond())),
            others ? "" : String.format(Locale.ROOT, "%,.0f", u.rssKb() / 1024.0),
            others ? "" : String.format(Locale.ROOT, "%,.0f", u.peakRssKb() / 1024.0)));
      }
    }
    run.results().stream().filter(r -> r.firstError() != null).forEach(r ->
        b.append("\n").append(r.system()).append(", ").append(r.mode().label).append(": ").append(r.failed())
            .append(" publishes failed, the first: `").append(r.firstError().replace('`', '\'')).append("`\n"));
    if (!run.plots().isEmpty()) {
      b.append('\n');
      run.plots().forEach(p -> b.append(p).append("\n\n"));
    }
    if (!run.profile().isEmpty()) {
      b.append('\n').append(run.profile());
    }
    return b.toString();
  }

  /** The targets, with the Clearway/Mosquitto ratios. */
  private static void targets(StringBuilder b, List<PhaseResult> results) {
    Optional<PhaseResult> cwMax = find(results, CLEARWAY, PhaseResult.Mode.CLOSED_LOOP);
    Optional<PhaseResult> mqMax = find(results, MOSQUITTO, PhaseResult.Mode.CLOSED_LOOP);
    Optional<PhaseResult> cwRate = find(results, CLEARWAY, PhaseResult.Mode.FIXED_RATE);
    Optional<PhaseResult> mqRate = find(results, MOSQUITTO, PhaseResult.Mode.FIXED_RATE);
    b.append("| target | Clearway | Mosquitto bridge | Clearway / Mosquitto | met |\n|---|---:|---:|---:|---|\n");
    Optional<Double> throughputRatio = ratio(cwMax.map(PhaseResult::arrivedPerSecond), mqMax.map(PhaseResult::arrivedPerSecond));
    b.append(String.format(Locale.ROOT, "| max throughput ≥ %.1f× the bridge (closed loop, msg/s arrived upstream) | %s | %s | %s | %s |%n",
        THROUGHPUT_RATIO_TARGET,
        cwMax.map(r -> String.format(Locale.ROOT, "%,.0f", r.arrivedPerSecond())).orElse("–"),
        mqMax.map(r -> String.format(Locale.ROOT, "%,.0f", r.arrivedPerSecond())).orElse("–"),
        throughputRatio.map(x -> String.format(Locale.ROOT, "%.2f×", x)).orElse("–"),
        throughputRatio.map(x -> x >= THROUGHPUT_RATIO_TARGET ? "yes" : "**no**").orElse("–")));
    Optional<Double> p99Ratio = ratio(cwRate.map(r -> r.latencyMillis(99)), mqRate.map(r -> r.latencyMillis(99)));
    b.append(String.format(Locale.ROOT, "| p99 ≤ %.0f ms at half of Clearway's max (fixed rate) | %s | %s | %s | %s |%n",
        P99_TARGET_MILLIS,
        cwRate.map(r -> ms(r.latencyMillis(99))).orElse("–"),
        mqRate.map(r -> ms(r.latencyMillis(99))).orElse("–"),
        p99Ratio.map(x -> String.format(Locale.ROOT, "%.2f×", x)).orElse("–"),
        cwRate.map(r -> r.latencyMillis(99) <= P99_TARGET_MILLIS && r.keptUp() ? "yes" : "**no**").orElse("–")));
    long lost = results.stream().mapToLong(PhaseResult::lost).sum();
    b.append("| no acknowledged message lost | ")
        .append(lostTotal(results, CLEARWAY)).append(" | ").append(lostTotal(results, MOSQUITTO))
        .append(" | | ").append(lost == 0 ? "yes" : "**no**").append(" |\n");
  }

  private static String lostTotal(List<PhaseResult> results, String system) {
    List<PhaseResult> mine = results.stream().filter(r -> r.system().equals(system)).toList();
    return mine.isEmpty() ? "–" : String.format(Locale.ROOT, "%,d lost", mine.stream().mapToLong(PhaseResult::lost).sum());
  }

  /** CPU time per message: {@code cpuPercent} of one core spread over {@code messagesPerSecond}. */
  static double cpuMicrosPerMessage(double cpuPercent, double messagesPerSecond) {
    return cpuPercent / 100.0 * 1_000_000 / messagesPerSecond;
  }

  static Optional<PhaseResult> find(List<PhaseResult> results, String system, PhaseResult.Mode mode) {
    return results.stream().filter(r -> r.system().equals(system) && r.mode() == mode).findFirst();
  }

  private static Optional<Double> ratio(Optional<Double> a, Optional<Double> b) {
    return a.isPresent() && b.isPresent() && b.get() > 0 ? Optional.of(a.get() / b.get()) : Optional.empty();
  }

  private static String lostCell(PhaseResult r) {
    return r.lost() == 0 ? "0" : String.format(Locale.ROOT, "**%,d**", r.lost());
  }

  /** Milliseconds with two to three significant digits. */
  static String ms(double millis) {
    if (millis >= 100) {
      return String.format(Locale.ROOT, "%,.0f", millis);
    }
    return String.format(Locale.ROOT, millis >= 10 ? "%.1f" : "%.2f", millis);
  }

  private static void row(StringBuilder b, String key, String value) {
    b.append("| ").append(key).append(" | ").append(Markdown.cell(value)).append(" |\n");
  }
}

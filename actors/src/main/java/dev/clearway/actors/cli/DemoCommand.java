package dev.clearway.actors.cli;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import dev.clearway.actors.demo.Demo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code clearway demo}: the gateway, a hub stand-in and simulated devices in one process, with a
 * line a second and a summary. Bad options are one line on stderr and exit code 2 (see {@link
 * ClearwayCommand#commandLine()}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Watch the gateway work, with a hub stand-in and simulated devices.",
        "",
        "The devices (HiveMQ MQTT clients, TLS, SAS tokens) publish JSON readings",
        "through the route",
        "  " + Demo.ROUTE,
        "One line a second: received/s, stored, forwarded/s, the $upstream queue and",
        "the p99 latency from device to hub. Then a summary: sent, acknowledged,",
        "dropped by the route and why, received at the hub, lost.",
        "Gateway and hub listen on free loopback ports. Ctrl-C stops early; the",
        "summary follows either way."},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  nothing the gateway acknowledged was lost",
        "  1  an acknowledged message was lost, or the demo could not run",
        "  2  bad command line"})
final class DemoCommand implements Callable<Integer> {
  static final int MAX_DEVICES = 1000;
  static final int MAX_RATE = 50_000;
  static final Duration MAX_DURATION = Duration.ofHours(24);

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--devices", paramLabel = "N", defaultValue = "10",
      description = "Simulated devices, 1-" + MAX_DEVICES + " (default: ${DEFAULT-VALUE}).")
  int devices;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "100",
      description = "Messages a second, all devices together, 1-" + MAX_RATE + " (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--duration", paramLabel = "D", defaultValue = "30s", converter = DurationConverter.class,
      description = "How long the devices publish: 30s, 2m, 1h (1 s to 24 h; default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Keep the gateway's state (PKI, identities, store) here (default: a temporary directory, removed at the end).")
  Path dataDir;

  @Override
  public Integer call() {
    if (devices < 1 || devices > MAX_DEVICES) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--devices must be between 1 and " + MAX_DEVICES + ", was " + devices);
    }
    if (rate < 1 || rate > MAX_RATE) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--rate must be between 1 and " + MAX_RATE + " messages a second, was " + rate);
    }
    if (duration.compareTo(Duration.ofSeconds(1)) < 0 || duration.compareTo(MAX_DURATION) > 0) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--duration must be between 1s and 24h, was " + duration.toString().substring(2).toLowerCase(Locale.ROOT));
    }
    return Demo.run(new Demo.Options(devices, rate, duration, Optional.ofNullable(dataDir)), spec.commandLine().getOut(),
        spec.commandLine().getErr());
  }

  /** A duration in HOCON's form with a unit: {@code 30s}, {@code 2m}, {@code 90 seconds}, {@code 1h}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim();
      if (v.matches("[0-9]+")) {
        throw new CommandLine.TypeConversionException("'" + value + "' has no unit; write it like 30s, 2m or 1h");
      }
      try {
        return ConfigFactory.parseString("d = \"" + v.replace("\"", "") + "\"").getDuration("d");
      } catch (ConfigException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 30s, 2m or 1h");
      }
    }
  }
}

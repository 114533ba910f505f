package dev.clearway.actors.cli;

import ch.qos.logback.classic.Level;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.clearway.actors.Gateway;
import dev.clearway.actors.config.GatewayConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code clearway run}: the gateway as a long-lived service, until Ctrl-C (SIGINT) or SIGTERM, which
 * shut it down gracefully: stop accepting connections, finish in-flight acknowledgements, close.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run the gateway with the embedded defaults plus your configuration.",
        "Without an edge CA configured it creates a quickstart PKI under the data directory and logs",
        "the root CA devices must trust. Stops gracefully on Ctrl-C."},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  stopped normally", "  1  could not start (the reason is printed)", "  2  bad command line or configuration file"})
final class RunCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;
  @Mixin DataDirOptions options;

  @Override
  public Integer call() {
    // The command line logs warnings only; a running gateway reports what it does.
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.clearway")).setLevel(Level.INFO);
    Logger log = LoggerFactory.getLogger(RunCommand.class);
    Config config;
    try {
      config = options.load();
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("clearway run: " + e.getMessage());
      return 2;
    }
    Path dataDir = options.dataDir(config);
    Gateway gateway;
    try {
      // Routed messages wait in the store's queues until the uplink (or a module) takes them.
      gateway = Gateway.start(config, dataDir, (message, ref) ->
          log.debug("message from {} {}", message.source(), ref.stored() ? "stored as " + ref.sequence() : "routed nowhere"),
          GatewayConfig.operatorFile(java.util.Optional.ofNullable(options.config)));
    } catch (Gateway.StartException | RuntimeException e) {
      spec.commandLine().getErr().println("clearway run: cannot start: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("Shutting down");
      gateway.close();
      stopped.countDown();
    }, "clearway-shutdown"));
    log.info("MQTT/TLS on {}; data in {}", gateway.mqttAddress(), dataDir.toAbsolutePath());
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}

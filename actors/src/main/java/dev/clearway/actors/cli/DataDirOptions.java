package dev.clearway.actors.cli;

import com.typesafe.config.Config;
import dev.clearway.actors.config.GatewayConfig;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --config} and {@code --data-dir}, shared by the commands that act on a gateway's state. */
final class DataDirOptions {
  @Option(names = "--config", paramLabel = "FILE",
      description = "The operator's configuration (default: conf/application.conf when it exists).")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "The gateway's data directory (default: clearway.data-dir, \"data\").")
  Path dataDir;

  Config load() {
    return GatewayConfig.load(Optional.ofNullable(config));
  }

  Path dataDir(Config c) {
    return dataDir != null ? dataDir : Path.of(c.getString("clearway.data-dir"));
  }
}

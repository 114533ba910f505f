package dev.clearway.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOriginFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads the gateway's configuration: system-property overrides, then the operator's file, then
 * Clearway's Pekko defaults ({@code clearway-runtime.conf}), then every module's embedded
 * {@code reference.conf}.
 *
 * <p>The operator's file is the one given (it must exist and parse), or else {@code
 * conf/application.conf} in the working directory when that exists, or else none.
 */
public final class GatewayConfig {

  /** The operator's file, relative to the working directory. */
  public static final Path DEFAULT_FILE = Path.of("conf", "application.conf");

  /**
   * Clearway's defaults for Pekko (cluster provider, logging, serialization). They sit above every
   * reference.conf: in the one-jar build Pekko's own reference.conf would otherwise win over ours.
   */
  static final String RUNTIME_DEFAULTS = "clearway-runtime.conf";

  private GatewayConfig() {}

  /**
   * @throws ConfigException with one line naming the file when it is missing or does not parse
   */
  public static Config load(Optional<Path> file) {
    return load(file, Path.of(""));
  }

  /** The operator's file {@link #load(Optional)} reads: the given one, else conf/application.conf when it exists. */
  public static Optional<Path> operatorFile(Optional<Path> file) {
    return file.isPresent() ? file : Optional.of(DEFAULT_FILE).filter(Files::isRegularFile);
  }

  /** Like {@link #load(Optional)}, looking for the default file under {@code workingDir}. */
  public static Config load(Optional<Path> file, Path workingDir) {
    Config operator = ConfigFactory.empty();
    if (file.isPresent()) {
      operator = parse(file.get());
    } else if (Files.isRegularFile(workingDir.resolve(DEFAULT_FILE))) {
      operator = parse(workingDir.resolve(DEFAULT_FILE));
    }
    return load(operator);
  }

  /**
   * Settings given in code in place of the operator's file, above the same defaults, with the
   * same system-property overrides on top. {@code clearway demo} runs its gateway this way, so an
   * operator's conf/application.conf (ports, edge CA, a real hub) never reaches the demo.
   */
  public static Config load(Config operator) {
    return ConfigFactory.defaultOverrides()
        .withFallback(operator)
        .withFallback(ConfigFactory.parseResources(GatewayConfig.class.getClassLoader(), RUNTIME_DEFAULTS))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }

  private static Config parse(Path path) {
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw new ConfigException.IO(
          ConfigOriginFactory.newFile(path.toString()), "no such readable file");
    }
    return ConfigFactory.parseFile(path.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
  }
}

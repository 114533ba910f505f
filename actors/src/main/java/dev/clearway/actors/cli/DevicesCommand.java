package dev.clearway.actors.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.tls.PemException;
import dev.clearway.tls.Pem;
import dev.clearway.tls.Thumbprints;
import dev.clearway.tls.TlsSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code clearway devices}: the gateway's children — device and module identities in the local
 * registry ({@code <data-dir>/identities.json}). A running gateway picks up changes without a restart.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
    description = "Manage the device and module identities this gateway serves.",
    subcommands = {DevicesCommand.Add.class, DevicesCommand.ListIdentities.class, DevicesCommand.Show.class, DevicesCommand.Remove.class},
    footerHeading = "%nExit codes:%n",
    footer = {"  0  success", "  1  refused (exists, not found, unreadable registry)", "  2  bad command line or configuration"})
final class DevicesCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  enum Auth { SAS, X509_THUMBPRINT, X509_CA }

  /** Opens the registry and runs an action; maps failures to the documented exit codes. */
  abstract static class RegistryCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;
    @Mixin DataDirOptions options;

    abstract int run(IdentityRegistry registry, Config config, PrintWriter out) throws Exception;

    @Override
    public Integer call() {
      Config config;
      try {
        config = options.load();
      } catch (ConfigException e) {
        spec.commandLine().getErr().println("clearway devices " + spec.name() + ": " + e.getMessage());
        return 2;
      }
      try {
        IdentityRegistry registry = IdentityRegistry.open(options.dataDir(config), Duration.ZERO, Clock.systemUTC());
        return run(registry, config, spec.commandLine().getOut());
      } catch (CommandLine.ParameterException e) {
        throw e; // picocli reports it with the usage, exit code 2
      } catch (IdentityRegistry.RegistryException | IllegalArgumentException | PemException e) {
        spec.commandLine().getErr().println("clearway devices " + spec.name() + ": " + e.getMessage());
        return 1;
      } catch (Exception e) {
        spec.commandLine().getErr().println("clearway devices " + spec.name() + ": " + e);
        return 1;
      }
    }
  }

  /** {@code HostName=…;DeviceId=…[;ModuleId=…];SharedAccessKey=…;GatewayHostName=…}, as IoT Hub prints it. */
  static String connectionString(Identity id, Config config) {
    Credentials.SymmetricKey keys = (Credentials.SymmetricKey) id.credentials();
    String gateway = TlsSettings.fromConfig(config).hostname();
    String hub = config.getString("clearway.hub.hostname").trim();
    return "HostName=" + (hub.isEmpty() ? gateway : hub) + ";DeviceId=" + id.deviceId()
        + id.moduleId().map(m -> ";ModuleId=" + m).orElse("") + ";SharedAccessKey=" + keys.primaryKey()
        + ";GatewayHostName=" + gateway;
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Add a device (or, with --module, a module) to this gateway's scope.",
          "For SAS it prints the connection string the device uses."},
      footerHeading = "%nExit codes:%n", footer = {"  0  added", "  1  exists, or the module's device does not", "  2  bad command line"})
  static final class Add extends RegistryCommand {
    @Option(names = "--id", required = true, paramLabel = "ID", description = "The device id.")
    String deviceId;

    @Option(names = "--module", paramLabel = "M", description = "Add module M of the device (SAS only).")
    String module;

    @Option(names = "--auth", paramLabel = "KIND", defaultValue = "sas", converter = AuthConverter.class,
        description = "sas (default), x509-thumbprint or x509-ca.")
    Auth auth;

    @Option(names = "--primary-thumbprint", paramLabel = "HEX", description = "x509-thumbprint: SHA-256 or SHA-1 thumbprint.")
    String primaryThumbprint;

    @Option(names = "--secondary-thumbprint", paramLabel = "HEX", description = "x509-thumbprint: a second thumbprint.")
    String secondaryThumbprint;

    @Option(names = "--cert", paramLabel = "FILE", description = "x509-thumbprint: take the primary thumbprint from this certificate.")
    Path cert;

    @Override
    int run(IdentityRegistry registry, Config config, PrintWriter out) throws Exception {
      Credentials credentials = switch (auth) {
        case SAS -> Credentials.SymmetricKey.generate();
        case X509_CA -> new Credentials.X509Ca();
        case X509_THUMBPRINT -> {
          String primary = primaryThumbprint != null ? primaryThumbprint
              : cert != null ? Thumbprints.of(Pem.readCertificates(cert).get(0)).sha256() : null;
          if (primary == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "x509-thumbprint needs --primary-thumbprint or --cert");
          }
          yield new Credentials.X509Thumbprint(primary, Optional.ofNullable(secondaryThumbprint));
        }
      };
      Identity id = registry.add(new Identity(deviceId, Optional.ofNullable(module), credentials));
      out.println("added " + id.id() + " (" + credentials.type() + ")");
      if (credentials instanceof Credentials.SymmetricKey) {
        out.println(connectionString(id, config));
      }
      return 0;
    }
  }

  static final class AuthConverter implements CommandLine.ITypeConverter<Auth> {
    @Override
    public Auth convert(String value) {
      return switch (value) {
        case "sas" -> Auth.SAS;
        case "x509-thumbprint" -> Auth.X509_THUMBPRINT;
        case "x509-ca" -> Auth.X509_CA;
        default -> throw new CommandLine.TypeConversionException("unknown auth '" + value + "' (expected sas, x509-thumbprint or x509-ca)");
      };
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the identities: id and authentication kind.",
      footerHeading = "%nExit codes:%n", footer = {"  0  listed", "  1  unreadable registry", "  2  bad command line"})
  static final class ListIdentities extends RegistryCommand {
    @Override
    int run(IdentityRegistry registry, Config config, PrintWriter out) {
      List<Identity> all = registry.list();
      all.forEach(i -> out.println(i.id() + "\t" + i.credentials().type()));
      if (all.isEmpty()) {
        out.println("no identities in " + registry.file());
      }
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one identity (with its connection string for SAS).",
      footerHeading = "%nExit codes:%n", footer = {"  0  shown", "  1  not found", "  2  bad command line"})
  static final class Show extends RegistryCommand {
    @Parameters(paramLabel = "ID", description = "device or device/module")
    String id;

    @Override
    int run(IdentityRegistry registry, Config config, PrintWriter out) {
      Optional<Identity> found = registry.find(id);
      if (found.isEmpty()) {
        spec.commandLine().getErr().println("clearway devices show: no identity '" + id + "' in " + registry.file());
        return 1;
      }
      Identity i = found.get();
      out.println("id:   " + i.id());
      out.println("auth: " + i.credentials().type());
      if (i.credentials() instanceof Credentials.SymmetricKey) {
        out.println("connection string: " + connectionString(i, config));
      } else if (i.credentials() instanceof Credentials.X509Thumbprint t) {
        out.println("primary thumbprint:   " + t.primary());
        t.secondary().ifPresent(s -> out.println("secondary thumbprint: " + s));
      }
      return 0;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove an identity; removing a device removes its modules.",
      footerHeading = "%nExit codes:%n", footer = {"  0  removed", "  1  not found", "  2  bad command line"})
  static final class Remove extends RegistryCommand {
    @Parameters(paramLabel = "ID", description = "device or device/module")
    String id;

    @Override
    int run(IdentityRegistry registry, Config config, PrintWriter out) throws Exception {
      registry.remove(id).forEach(r -> out.println("removed " + r));
      return 0;
    }
  }
}

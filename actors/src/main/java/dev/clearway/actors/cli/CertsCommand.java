package dev.clearway.actors.cli;

import dev.clearway.tls.CertificateCheck;
import dev.clearway.tls.DemoPki;
import dev.clearway.tls.Finding;
import dev.clearway.tls.KeyType;
import dev.clearway.tls.PkiException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code clearway certs}: the demo PKI of the IoT Edge documentation ("create test certificates"),
 * with the same file names, and the format checks the gateway also runs at start.
 */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = {
      "Demo certificates for development and tests, and certificate format checks.",
      "The file names follow the IoT Edge test-certificate scripts."
    },
    subcommands = {
      CertsCommand.CreateRootCa.class,
      CertsCommand.CreateEdgeCa.class,
      CertsCommand.CreateDevice.class,
      CertsCommand.Check.class
    },
    footerHeading = "%nExit codes:%n",
    footer = {"  0  success", "  1  refused (a file exists, no root CA yet) or a check found errors", "  2  bad command line"})
final class CertsCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static final int REFUSED = 1;

  /** Options shared by the create commands. */
  static final class CreateOptions {
    @Option(names = "--dir", required = true, paramLabel = "DIR",
        description = "The PKI directory: certificates go to DIR/certs, keys to DIR/private (0700).")
    Path dir;

    @Option(names = "--key-type", paramLabel = "TYPE", defaultValue = "ec-p256", converter = KeyTypeConverter.class,
        description = "ec-p256 (default), rsa-2048 or rsa-4096.")
    KeyType keyType;

    @Option(names = "--days", paramLabel = "N", defaultValue = "365",
        description = "Validity in days (default ${DEFAULT-VALUE}); never beyond the issuer's.")
    int days;

    @Option(names = "--subject", paramLabel = "ATTRS", defaultValue = "",
        description = "More subject attributes after the CN, e.g. 'O=Contoso, C=US'.")
    String subject;

    @Option(names = "--force", description = "Replace existing files.")
    boolean force;

    DemoPki.Options options(CommandLine cmd) {
      if (days < 1) {
        throw new CommandLine.ParameterException(cmd, "--days must be at least 1, was " + days);
      }
      return new DemoPki.Options(keyType, days, subject, force);
    }
  }

  static final class KeyTypeConverter implements CommandLine.ITypeConverter<KeyType> {
    @Override
    public KeyType convert(String value) {
      try {
        return KeyType.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** The steps every create command shares: run, print what was written, map refusals to exit 1. */
  abstract static class Create implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;
    @Mixin CreateOptions create;

    abstract DemoPki.Created make(DemoPki.Options options) throws PkiException, IOException;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try {
        DemoPki.Created created = make(create.options(spec.commandLine()));
        created.files().forEach(f -> out.println("wrote " + f));
        created.thumbprints().ifPresent(t -> {
          out.println("SHA-256 thumbprint: " + t.sha256());
          out.println("SHA-1 thumbprint:   " + t.sha1());
        });
        return 0;
      } catch (PkiException | IOException e) {
        spec.commandLine().getErr().println("clearway certs " + spec.name() + ": " + e.getMessage());
        return REFUSED;
      }
    }
  }

  @Command(name = "create-root-ca", mixinStandardHelpOptions = true,
      description = {"Create a demo root CA and an intermediate CA signed by it:",
          "  DIR/certs/azure-iot-test-only.root.ca.cert.pem",
          "  DIR/certs/azure-iot-test-only.intermediate.cert.pem (and -full-chain)",
          "  DIR/private/azure-iot-test-only.{root.ca,intermediate}.key.pem"},
      footerHeading = "%nExit codes:%n", footer = {"  0  created", "  1  a file exists (use --force)", "  2  bad command line"})
  static final class CreateRootCa extends Create {
    @Override
    DemoPki.Created make(DemoPki.Options o) throws PkiException, IOException {
      return DemoPki.createRootCa(create.dir, o, Clock.systemUTC());
    }
  }

  @Command(name = "create-edge-ca", mixinStandardHelpOptions = true,
      description = {"Create an edge CA signed by the intermediate CA in DIR:",
          "  DIR/certs/iot-edge-device-ca-NAME-full-chain.cert.pem (edge CA, intermediate, root)",
          "  DIR/private/iot-edge-device-ca-NAME.key.pem",
          "Point clearway.tls.edge-ca.cert / .pk at them; the NAME must differ from the gateway's host name."},
      footerHeading = "%nExit codes:%n",
      footer = {"  0  created", "  1  a file exists (use --force) or there is no root CA in DIR yet", "  2  bad command line"})
  static final class CreateEdgeCa extends Create {
    @Option(names = "--name", required = true, paramLabel = "NAME", description = "The edge CA's name (its CN).")
    String name;

    @Override
    DemoPki.Created make(DemoPki.Options o) throws PkiException, IOException {
      return DemoPki.createEdgeCa(create.dir, name, o, Clock.systemUTC());
    }
  }

  @Command(name = "create-device", mixinStandardHelpOptions = true,
      description = {"Create a device certificate with CN = ID:",
          "  DIR/certs/iot-device-ID-full-chain.cert.pem, DIR/private/iot-device-ID.key.pem",
          "signed by the intermediate CA in DIR (X.509 CA authentication), or with --self-signed a",
          "self-signed one whose SHA-256 and SHA-1 thumbprints are printed (X.509 thumbprint authentication)."},
      footerHeading = "%nExit codes:%n",
      footer = {"  0  created", "  1  a file exists (use --force) or there is no root CA in DIR yet", "  2  bad command line"})
  static final class CreateDevice extends Create {
    @Option(names = "--id", required = true, paramLabel = "ID", description = "The device id (the certificate's CN).")
    String id;

    @Option(names = "--self-signed", description = "Self-signed, for thumbprint authentication.")
    boolean selfSigned;

    @Override
    DemoPki.Created make(DemoPki.Options o) throws PkiException, IOException {
      return DemoPki.createDevice(create.dir, id, selfSigned, o, Clock.systemUTC());
    }
  }

  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Check certificate files; one line per finding: file, rule, problem, fix.",
          "The gateway runs the same checks on its edge CA at every start."},
      footerHeading = "%nExit codes:%n",
      footer = {"  0  no errors (warnings allowed)", "  1  at least one error", "  2  bad command line"})
  static final class Check implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--cert", required = true, paramLabel = "FILE", description = "A certificate or full-chain PEM file (leaf first).")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "The private key of the first certificate.")
    Path key;

    @Option(names = "--trust-bundle", paramLabel = "FILE", description = "Root CA certificate(s) the chain must roll up to.")
    Path trustBundle;

    @Option(names = "--edge-ca", description = "The certificate is a gateway edge CA: check the CA rules too.")
    boolean edgeCa;

    @Option(names = "--hostname", paramLabel = "HOST", description = "The gateway's host name (an edge CA's CN must differ).")
    String hostname;

    @Override
    public Integer call() {
      List<Finding> findings = CertificateCheck.run(new CertificateCheck.Request(cert, Optional.ofNullable(key),
          Optional.ofNullable(trustBundle), edgeCa, Optional.ofNullable(hostname)), Clock.systemUTC());
      PrintWriter out = spec.commandLine().getOut();
      findings.forEach(out::println);
      long errors = findings.stream().filter(Finding::isError).count();
      out.println(cert + ": " + errors + " error(s), " + (findings.size() - errors) + " warning(s)");
      return errors == 0 ? 0 : 1;
    }
  }
}

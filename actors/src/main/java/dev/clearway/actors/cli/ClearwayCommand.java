package dev.clearway.actors.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code clearway} command line: the entry point of {@code actors/target/clearway.jar}.
 *
 * <p>Exit codes, for every command: 0 success; 1 the command ran and found a problem (a failed
 * check, a file that exists, an invalid certificate); 2 the command line or its input could not be
 * used (unknown option, missing file, a compile error in a route). Each command's help says which of
 * these it uses.
 */
@Command(
    name = "clearway",
    mixinStandardHelpOptions = true,
    versionProvider = ClearwayCommand.Version.class,
    description = "Clearway, a transparent IoT gateway for Azure IoT Hub devices.",
    subcommands = {RunCommand.class, DemoCommand.class, DevicesCommand.class, CertsCommand.class, RoutesCommand.class, CommandLine.HelpCommand.class},
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  success",
      "  1  the command ran and found a problem (a failed check, an existing file, ...)",
      "  2  the command line or its input could not be used"
    })
public final class ClearwayCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    // `clearway` alone: show what there is to run.
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Builds the configured command line; tests call this to run commands in-process. */
  public static CommandLine commandLine() {
    CommandLine root = new CommandLine(new ClearwayCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    shareVersion(root);
    CommandLine.IParameterExceptionHandler usage = root.getParameterExceptionHandler();
    root.setParameterExceptionHandler((e, args) -> {
      // `clearway demo` is where newcomers start: one line that says what is wrong, not a page of usage.
      if (e.getCommandLine().getCommand() instanceof DemoCommand) {
        e.getCommandLine().getErr().println("clearway demo: " + e.getMessage() + " (clearway demo --help lists the options)");
        return 2;
      }
      return usage.handleParseException(e, args);
    });
    return root;
  }

  /** Every subcommand's {@code --version} prints the same as {@code clearway --version}. */
  private static void shareVersion(CommandLine cmd) {
    cmd.getCommandSpec().versionProvider(new Version());
    cmd.getSubcommands().values().forEach(ClearwayCommand::shareVersion);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Reads the version Maven wrote into the jar's manifest; "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ClearwayCommand.class.getPackage().getImplementationVersion();
      return new String[] {"clearway " + (v == null ? "development" : v)};
    }
  }
}

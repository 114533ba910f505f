package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers --help with its usage and its exit codes, so new commands cannot skip them. */
class HelpTest {

  private static void collect(CommandLine cmd, List<String> path, List<List<String>> all) {
    all.add(path);
    cmd.getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help")) {
        List<String> next = new ArrayList<>(path);
        next.add(name);
        collect(sub, next, all);
      }
    });
  }

  @Test
  void everyCommandPrintsUsageAndExitCodesForHelp() {
    List<List<String>> commands = new ArrayList<>();
    collect(ClearwayCommand.commandLine(), List.of(), commands);
    assertThat(commands).contains(List.of("certs", "check"));

    for (List<String> command : commands) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      CommandRun r = CommandRun.of(args.toArray(String[]::new));
      assertThat(r.exitCode()).as(String.join(" ", args)).isZero();
      assertThat(r.out()).as(String.join(" ", args)).contains("Usage: clearway").contains("Exit codes:");
    }
  }

  @Test
  void everyCommandPrintsTheVersion() {
    assertThat(CommandRun.of("certs", "check", "--version").out()).startsWith("clearway ");
  }
}

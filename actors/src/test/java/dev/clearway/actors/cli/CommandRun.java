package dev.clearway.actors.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs a clearway command in-process and keeps what it printed. */
record CommandRun(int exitCode, String out, String err) {

  static CommandRun of(String... args) {
    CommandLine cmd = ClearwayCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new CommandRun(code, out.toString(), err.toString());
  }
}

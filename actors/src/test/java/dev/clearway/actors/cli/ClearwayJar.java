package dev.clearway.actors.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the shipped artifact, actors/target/clearway.jar, in a separate JVM, as a user does. Public
 * for the fault tests of other packages, which kill it.
 */
public final class ClearwayJar {
  static final Path JAR = Path.of("target", "clearway.jar").toAbsolutePath();

  private ClearwayJar() {}

  /** What a finished command printed and returned. */
  record Result(int code, String out, String err) {}

  private static List<String> command(String... args) {
    // The metrics endpoint on a free loopback port: gateways of several tests must not meet on 9600.
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dclearway.metrics.host=127.0.0.1", "-Dclearway.metrics.port=0", "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs a command to completion (at most 60 s) in {@code workDir}. */
  static Result run(Path workDir, String... args) throws IOException, InterruptedException {
    Path out = Files.createTempFile(workDir, "out-", ".txt");
    Path err = Files.createTempFile(workDir, "err-", ".txt");
    Process p = new ProcessBuilder(command(args)).directory(workDir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("clearway " + String.join(" ", args) + " did not finish in 60 s");
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  /** Starts a long-running command; stdout and stderr go to {@code log}. The caller stops it. */
  public static Process start(Path workDir, Path log, String... args) throws IOException {
    return new ProcessBuilder(command(args)).directory(workDir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static final java.util.regex.Pattern LISTENING = java.util.regex.Pattern.compile("MQTT/TLS on /127\\.0\\.0\\.1:(\\d+)");

  /** The MQTT port {@code clearway run} logged once it had started (it was told port 0); fails if it exits or takes over 60 s. */
  public static int awaitListeningPort(Path log, Process gateway) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      java.util.regex.Matcher m = LISTENING.matcher(Files.readString(log));
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      if (!gateway.isAlive()) {
        throw new AssertionError("the gateway exited with " + gateway.exitValue() + ":\n" + Files.readString(log));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the gateway did not start listening within 60 s:\n" + Files.readString(log));
  }
}

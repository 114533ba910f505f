package dev.clearway.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code java <flags> -jar clearway.jar run --config C --data-dir D} as a separate JVM: started,
 * awaited until it logs its MQTT listener, inspected with {@code jcmd}, and stopped with SIGTERM
 * (SIGKILL after 30 s). Its pid goes to {@code gateway.pid} beside its log, so the run script can
 * clean up after a harness that was itself killed.
 */
final class GatewayProcess {
  private static final String READY = "MQTT/TLS on ";

  private final Process process;
  private final Path log;
  private final Path scratch;

  private GatewayProcess(Process process, Path log, Path scratch) {
    this.process = process;
    this.log = log;
    this.scratch = scratch;
  }

  /** Starts the gateway and waits (up to 120 s) until its listener is up; its output goes to {@code log}. */
  static GatewayProcess start(Path jar, List<String> jvmFlags, Path config, Path dataDir, Path log)
      throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmFlags);
    command.addAll(List.of("-jar", jar.toAbsolutePath().toString(),
        "run", "--config", config.toAbsolutePath().toString(), "--data-dir", dataDir.toAbsolutePath().toString()));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Files.writeString(log.resolveSibling("gateway.pid"), p.pid() + "\n");
    System.out.println("gateway pid " + p.pid() + ": " + String.join(" ", command));
    GatewayProcess gateway = new GatewayProcess(p, log, log.getParent());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the gateway exited with " + p.exitValue() + ":\n" + Files.readString(log));
      }
      if (Files.readString(log).contains(READY)) {
        return gateway;
      }
      Thread.sleep(200);
    }
    gateway.kill();
    throw new IllegalStateException("the gateway did not log '" + READY + "' within 120 s:\n" + Files.readString(log));
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** {@code jcmd <pid> <command...>}: its output, or an exception with it when jcmd failed. */
  String jcmd(String... command) throws IOException, InterruptedException {
    if (!process.isAlive()) {
      // Say why, rather than jcmd's "No such process": an OutOfMemoryError, say, ends a Pekko JVM.
      List<String> lines = Files.readAllLines(log);
      throw new IllegalStateException("the gateway exited with " + process.exitValue() + "; the end of " + log + ":\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    cmd.add(Long.toString(process.pid()));
    cmd.addAll(List.of(command));
    Path out = Files.createTempFile(scratch, "jcmd-", ".txt");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("jcmd " + String.join(" ", command) + " did not answer within 120 s");
      }
      String text = Files.readString(out);
      if (p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed:\n" + text);
      }
      return text;
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
    }
  }

  /** SIGTERM (the gateway shuts down gracefully), SIGKILL if it has not gone after 30 s. */
  void stop() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        System.err.println("the gateway did not stop within 30 s of SIGTERM; killing it");
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** SIGKILL, for a harness that is being aborted; does nothing when the gateway has gone. */
  void kill() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

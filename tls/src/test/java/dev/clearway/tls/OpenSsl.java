package dev.clearway.tls;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the machine's {@code openssl}: the independent judge of the certificates we make. */
public final class OpenSsl {
  /** What openssl printed (stdout and stderr together) and its exit code. */
  public record Result(int exitCode, String output) {
    public boolean ok() {
      return exitCode == 0;
    }
  }

  private OpenSsl() {}

  public static Result run(String... args) {
    return run(null, args);
  }

  /** Runs openssl with {@code input} on its standard input, which is closed after it ({@code null}: nothing). */
  public static Result run(byte[] input, String... args) {
    try (Interactive p = start(args)) {
      if (input != null) {
        p.send(input);
      }
      p.closeInput();
      return p.awaitExit(Duration.ofSeconds(60));
    }
  }

  /** Starts openssl with its standard input open, for a test that talks to it (s_client's commands, say). */
  public static Interactive start(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    try {
      return new Interactive(cmd, new ProcessBuilder(cmd).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new AssertionError("cannot run openssl (is it installed? .ci/run installs it): " + e.getMessage(), e);
    }
  }

  /** A running openssl: what it printed so far is collected as it comes. */
  public static final class Interactive implements AutoCloseable {
    private final List<String> cmd;
    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final Thread reader;

    private Interactive(List<String> cmd, Process process) {
      this.cmd = cmd;
      this.process = process;
      this.reader = new Thread(this::collect, "openssl-output");
      reader.setDaemon(true);
      reader.start();
    }

    private void collect() {
      byte[] buf = new byte[8192];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buf)) != -1) {
          output.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
        }
      } catch (IOException e) {
        // the process ended
      }
    }

    /** Writes to openssl's standard input. */
    public void send(byte[] bytes) {
      try {
        OutputStream in = process.getOutputStream();
        in.write(bytes);
        in.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("openssl's input: " + e.getMessage(), e);
      }
    }

    public void send(String text) {
      send(text.getBytes(StandardCharsets.UTF_8));
    }

    public void closeInput() {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // already gone
      }
    }

    /** What openssl printed so far. */
    public String output() {
      return output.toString();
    }

    /** Waits until openssl has printed {@code text}; fails with what it printed otherwise. */
    public void awaitOutput(String text, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!output.toString().contains(text)) {
        if (System.nanoTime() > deadline || !process.isAlive() && !reader.isAlive() && !output.toString().contains(text)) {
          throw new AssertionError("openssl did not print '" + text + "' within " + timeout + "; it printed:\n" + output);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }

    /** Waits for openssl to exit and returns everything it printed. */
    public Result awaitExit(Duration timeout) {
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw new AssertionError("openssl did not finish in " + timeout + ": " + cmd + "; it printed:\n" + output);
        }
        reader.join(10_000);
        return new Result(process.exitValue(), output.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }

    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}

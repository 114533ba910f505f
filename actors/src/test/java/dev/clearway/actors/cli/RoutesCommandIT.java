package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real shaded jar, as operators and outside checks do. */
class RoutesCommandIT {

  private static final Path JAR = Path.of("target", "clearway.jar");

  @TempDir Path dir;

  record Result(int code, String out, String err) {}

  private Result clearway(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toAbsolutePath().toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void jarEvaluatesConditionsAndRoutes() throws Exception {
    assertThat(JAR).exists();
    Path m = dir.resolve("m.json");
    Files.writeString(m, "{\"systemProperties\": {\"contentType\": \"application/json\", \"contentEncoding\": \"utf-8\"}, \"body\": {\"w\": {\"t\": 50}}}");
    Result r = clearway("routes", "eval", "--condition", "$body.w.t >= 50", "--message", m.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out().lines().findFirst()).contains("true");
    Result route = clearway("routes", "eval", "--route", "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream", "--message", m.toString());
    assertThat(route.out().lines().toList()).containsExactly("true", "routed to $upstream");
    Result bad = clearway("routes", "eval", "--condition", "a == 'b'", "--message", m.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.out()).isEmpty();
    assertThat(bad.err()).contains("'==' is not an operator").contains("^");
  }

  @Test
  void jarChecksConfApplicationConfOfTheWorkingDirectory() throws Exception {
    Files.createDirectories(dir.resolve("conf"));
    Files.copy(Path.of("..", "conf", "application.conf"), dir.resolve("conf/application.conf"));
    Result r = clearway("routes", "check");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList().get(1)).matches("upstream +/messages/\\* +- +\\$upstream +lowest +global \\(7200s\\)");
  }
}

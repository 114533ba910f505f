package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real shaded jar, as operators and outside checks do. */
class RoutesCommandIT {

  @TempDir Path dir;

  private ClearwayJar.Result clearway(String... args) throws IOException, InterruptedException {
    return ClearwayJar.run(dir, args);
  }

  @Test
  void jarEvaluatesConditionsAndRoutes() throws Exception {
    assertThat(ClearwayJar.JAR).exists();
    Path m = dir.resolve("m.json");
    Files.writeString(m, "{\"systemProperties\": {\"contentType\": \"application/json\", \"contentEncoding\": \"utf-8\"}, \"body\": {\"w\": {\"t\": 50}}}");
    ClearwayJar.Result r = clearway("routes", "eval", "--condition", "$body.w.t >= 50", "--message", m.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out().lines().findFirst()).contains("true");
    ClearwayJar.Result route = clearway("routes", "eval", "--route", "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream", "--message", m.toString());
    assertThat(route.out().lines().toList()).containsExactly("true", "routed to $upstream");
    ClearwayJar.Result bad = clearway("routes", "eval", "--condition", "a == 'b'", "--message", m.toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.out()).isEmpty();
    assertThat(bad.err()).contains("'==' is not an operator").contains("^");
  }

  @Test
  void jarChecksConfApplicationConfOfTheWorkingDirectory() throws Exception {
    Files.createDirectories(dir.resolve("conf"));
    Files.copy(Path.of("..", "conf", "application.conf"), dir.resolve("conf/application.conf"));
    ClearwayJar.Result r = clearway("routes", "check");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out().lines().toList().get(1)).matches("upstream +/messages/\\* +- +\\$upstream +lowest +global \\(7200s\\)");
  }
}

package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** {@code clearway routes …} run in-process. */
class RoutesCommandTest {

  @TempDir Path dir;

  record Run(int code, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = ClearwayCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private Path file(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  private static final String MESSAGE =
      "{\"source\": \"/messages\", \"properties\": {\"k\": \"v\", \"n\": null},"
          + " \"systemProperties\": {\"contentType\": \"application/json\", \"contentEncoding\": \"utf-8\","
          + " \"connectionDeviceId\": \"d1\"}, \"body\": {\"w\": {\"t\": 50}}}";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "k = 'v' | true",
        "k = 'w' | false",
        "n | null",
        "missing = 'x' | undefined",
        "$body.w.t >= 50 | true",
        "$connectionDeviceId = 'd1' AND NOT IS_DEFINED($connectionModuleId) | true",
        "is_null(n) | true"
      })
  void evalConditionPrintsExactlyOneWord(String condition, String word) throws Exception {
    Run r = run("routes", "eval", "--condition", condition, "--message", file("m.json", MESSAGE).toString());
    assertThat(r.code()).isZero();
    assertThat(r.lines()).containsExactly(word);
    assertThat(r.err()).isEmpty();
  }

  @Test
  void evalConditionCompileErrorGoesToStderrWithExitTwo() throws Exception {
    Run r = run("routes", "eval", "--condition", "k = 3", "--message", file("m.json", MESSAGE).toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("route 'condition', line 1, column 3: comparison = wants both sides of the same type")
        .contains("  k = 3")
        .contains("^");
  }

  @Test
  void evalRoutePrintsValueThenWhereItGoes() throws Exception {
    String m = file("m.json", MESSAGE).toString();
    Run yes = run("routes", "eval", "--route", "FROM /messages/* WHERE k = 'v' INTO BrokeredEndpoint(\"/modules/f/inputs/i\")", "--message", m);
    assertThat(yes.lines()).containsExactly("true", "routed to BrokeredEndpoint(\"/modules/f/inputs/i\")");
    Run no = run("routes", "eval", "--route", "FROM /messages/* WHERE missing = 'v' INTO $upstream", "--message", m);
    assertThat(no.lines()).containsExactly("undefined", "not routed");
    Run always = run("routes", "eval", "--route", "FROM /messages/* INTO $UPSTREAM", "--message", m);
    assertThat(always.lines()).containsExactly("true", "routed to $upstream");
    Run otherSource = run("routes", "eval", "--route", "FROM /messages/modules/* WHERE true INTO $upstream", "--message", m);
    assertThat(otherSource.lines()).containsExactly("true", "not routed");
  }

  @Test
  void evalRouteWithTextAfterTheSinkIsAnError() {
    Run r = run("routes", "eval", "--route", "FROM /messages/* INTO $upstream WHERE x = 'y'");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("route 'route', line 1, column 33: expected the end of the route after the sink");
  }

  @Test
  void messageFileFieldsAreAllOptionalAndBodyTextAndBase64Work() throws Exception {
    assertThat(run("routes", "eval", "--condition", "$body.a = 1", "--message", file("e.json", "{}").toString()).lines())
        .containsExactly("undefined");
    String json = "{\"systemProperties\": {\"contentType\": \"application/json\", \"contentEncoding\": \"utf-8\"}, ";
    assertThat(run("routes", "eval", "--condition", "$body.a = 1", "--message", file("t.json", json + "\"bodyText\": \"{\\\"a\\\": 1}\"}").toString()).lines())
        .containsExactly("true");
    assertThat(run("routes", "eval", "--condition", "$body.a = 1", "--message", file("b.json", json + "\"bodyBase64\": \"eyJhIjoxfQ==\"}").toString()).lines())
        .containsExactly("true");
    assertThat(run("routes", "eval", "--condition", "$connectionModuleId = 'm'", "--message",
            file("s.json", "{\"source\": \"/messages/modules/m\", \"systemProperties\": {\"connectionModuleId\": \"m\"}}").toString()).lines())
        .containsExactly("true");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"bodyText\": 1} | bodyText: expected a string, got number",
        "{\"body\": 1, \"bodyText\": \"x\"} | give at most one of body, bodyText, bodyBase64",
        "{\"bodyBase64\": \"***\"} | bodyBase64: not valid base64",
        "{\"systemProperties\": {\"nope\": \"x\"}} | unknown system property 'nope'",
        "{\"properties\": {\"k\": 1}} | properties.k: expected a string, got number",
        "{\"properties\": []} | properties: expected an object",
        "{\"sauce\": \"/messages\"} | unknown field 'sauce'",
        "[1] | expected a JSON object",
        "{not json | not valid JSON at line 1"
      })
  void badMessageFileIsOneLineWithExitTwo(String content, String expected) throws Exception {
    Run r = run("routes", "eval", "--condition", "true", "--message", file("bad.json", content).toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains(expected);
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void missingMessageFileIsExitTwo() {
    Run r = run("routes", "eval", "--condition", "true", "--message", dir.resolve("none.json").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("none.json").contains("cannot read it");
  }

  @Test
  void evalNeedsExactlyOneOfConditionAndRoute() {
    assertThat(run("routes", "eval").code()).isEqualTo(2);
    assertThat(run("routes", "eval", "--condition", "true", "--route", "FROM / INTO $upstream").code()).isEqualTo(2);
  }

  @Test
  void checkPrintsTableAndWarningsForAValidConfig() throws Exception {
    Path conf =
        file(
            "c.conf",
            "clearway.routes { allToHub = \"FROM /messages/* INTO $upstream\"\n"
                + " alerts { route = \"FROM /messages/* WHERE sev = 'high' INTO BrokeredEndpoint('/modules/a/inputs/in')\", priority = 0, time-to-live = 1h }\n"
                + " odd = \"FROM /foo/* INTO $upstream\"\n"
                + " keep { route = \"FROM /* INTO $upstream\", priority = 3, time-to-live = -1s } }");
    Run r = run("routes", "check", "--config", conf.toString());
    assertThat(r.code()).isZero();
    assertThat(r.err()).isEmpty();
    List<String> lines = r.lines();
    assertThat(lines.get(0)).matches("NAME +SOURCE +CONDITION +SINK +PRIORITY +TTL");
    assertThat(lines.get(1)).matches("alerts +/messages/\\* +sev = 'high' +BrokeredEndpoint\\(\"/modules/a/inputs/in\"\\) +0 +3600s");
    assertThat(lines.get(2)).matches("allToHub +/messages/\\* +- +\\$upstream +lowest +global \\(7200s\\)");
    assertThat(lines.get(3)).matches("keep +/\\* +- +\\$upstream +3 +forever");
    assertThat(lines.get(4)).startsWith("odd ");
    assertThat(lines.get(5)).startsWith("warning: route 'odd': source '/foo/*' is not under /messages");
  }

  @Test
  void checkReportsEveryBadRouteOnStderrWithExitTwo() throws Exception {
    Path conf =
        file(
            "c.conf",
            "clearway.routes { a = \"FROM /messages/* WHERE x == 'y' INTO $upstream\"\n"
                + " b = \"FROM /messages/* INTO $nowhere\"\n c = \"FROM /* INTO $upstream\" }");
    Run r = run("routes", "check", "--config", conf.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("error: route 'a', line 1, column 26: '==' is not an operator")
        .contains("error: route 'b', line 1, column 23: expected a sink")
        .contains("2 errors; the route set is rejected");
  }

  @Test
  void checkWithABadSettingOrMissingFileIsOneLineExitTwo() throws Exception {
    Run bad = run("routes", "check", "--config", file("c.conf", "clearway.routes.a { route = \"FROM / INTO $upstream\", priority = 12 }").toString());
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err().lines()).containsExactly(
        "error: " + dir.resolve("c.conf") + ": 1: Invalid value at 'clearway.routes.a.priority': must be 0 (highest) .. 9, got 12");
    Run missing = run("routes", "check", "--config", dir.resolve("none.conf").toString());
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err().lines()).hasSize(1);
    assertThat(missing.err()).contains("none.conf");
  }

  @Test
  void importManifestPrintsHoconThatCheckAccepts() throws Exception {
    Path manifest =
        file(
            "deployment.json",
            "{\"modulesContent\": {\"$edgeHub\": {\"properties.desired\": {\"schemaVersion\": \"1.2\","
                + " \"routes\": {\"up\": \"FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream\","
                + " \"prio\": {\"route\": \"FROM /messages/modules/m/outputs/alerts INTO $upstream\", \"priority\": 1, \"timeToLiveSecs\": 60}},"
                + " \"storeAndForwardConfiguration\": {\"timeToLiveSecs\": 600}}}}}");
    Run r = run("routes", "import-manifest", manifest.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("up = \"FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream\"");
    Path conf = file("imported.conf", r.out());
    Run check = run("routes", "check", "--config", conf.toString());
    assertThat(check.code()).isZero();
    assertThat(check.lines().get(1)).matches("prio +/messages/modules/m/outputs/alerts +- +\\$upstream +1 +60s");
    assertThat(check.lines().get(2)).endsWith("lowest    global (600s)");
  }

  @Test
  void importManifestWithErrorsPrintsThemAndExitsTwo() throws Exception {
    Path manifest = file("bad.json", "{\"schemaVersion\": \"1.0\", \"routes\": {\"r\": \"FROM /messages/* INTO $upstream extra\"}}");
    Run r = run("routes", "import-manifest", manifest.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("route 'r', line 1, column 33");
    assertThat(run("routes", "import-manifest", dir.resolve("none.json").toString()).code()).isEqualTo(2);
  }

  @Test
  void everyRoutesCommandHasHelpWithExitCodes() {
    List<String> missing = new ArrayList<>();
    for (String[] cmd : new String[][] {{"routes"}, {"routes", "check"}, {"routes", "eval"}, {"routes", "import-manifest"}}) {
      String[] args = java.util.Arrays.copyOf(cmd, cmd.length + 1);
      args[cmd.length] = "--help";
      Run r = run(args);
      if (r.code() != 0 || !r.out().contains("Exit codes:")) {
        missing.add(String.join(" ", cmd));
      }
    }
    assertThat(missing).isEmpty();
  }
}

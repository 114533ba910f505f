package dev.clearway.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The route grammar around the condition: SELECT/FROM/WHERE/INTO, sources and sinks. */
class RouteTextTest {

  private static RoutingRule compile(String text) {
    return compile("r", text);
  }

  private static RoutingRule compile(String name, String text) {
    return RouteSet.compile(List1.of(RouteSpec.bare(name, text)), Duration.ofHours(2), RouteLanguageSettings.DEFAULTS)
        .rules()
        .get(0);
  }

  static Stream<Arguments> validRoutes() {
    Endpoint m1 = new Endpoint.ModuleInput("m1", "in1");
    return Stream.of(
        Arguments.of("FROM /messages/* INTO $upstream", "/messages/*", "", Endpoint.UPSTREAM),
        Arguments.of("SELECT * FROM /messages/* INTO $upstream", "/messages/*", "", Endpoint.UPSTREAM),
        Arguments.of("select * from /messages/* where true into $UPSTREAM", "/messages/*", "true", Endpoint.UPSTREAM),
        Arguments.of(
            "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream",
            "/messages/*",
            "NOT IS_DEFINED($connectionModuleId)",
            Endpoint.UPSTREAM),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"/modules/m1/inputs/in1\")", "/messages/*", "", m1),
        Arguments.of("FROM /messages/* INTO brokeredendpoint('/modules/m1/inputs/in1')", "/messages/*", "", m1),
        Arguments.of("FROM /messages/* INTO BROKEREDENDPOINT(\"/Modules/m1/Inputs/in1\")", "/messages/*", "", m1),
        Arguments.of(
            "FROM /messages/modules/M1/outputs/o1 WHERE a = 'into' INTO $upstream",
            "/messages/modules/M1/outputs/o1",
            "a = 'into'",
            Endpoint.UPSTREAM),
        Arguments.of("  FROM /* /* comment */ INTO $upstream  ", "/*", "", Endpoint.UPSTREAM),
        Arguments.of("FROM /messages/*\n  WHERE a = 'b'\n  INTO $upstream", "/messages/*", "a = 'b'", Endpoint.UPSTREAM));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validRoutes")
  void validRouteCompilesToSourceConditionAndSink(String text, String source, String condition, Endpoint sink) {
    RoutingRule rule = compile(text);
    assertThat(rule.source()).isEqualTo(source);
    assertThat(rule.condition().text()).isEqualTo(condition);
    assertThat(rule.sink()).isEqualTo(sink);
  }

  static Stream<Arguments> invalidRoutes() {
    return Stream.of(
        // better (ROUTES.md): text after the sink is an error, not silently dropped.
        Arguments.of("FROM /messages/* INTO $upstream WHERE x = 'y'", 33, "expected the end of the route after the sink, found 'WHERE'"),
        Arguments.of("FROM /messages/* INTO $upstream extra", 33, "found 'extra'"),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"/modules/m1/outputs/in1\")", 40, "expected \"/modules/{moduleId}/inputs/{input}\""),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"/module/m1/inputs/in1\")", 40, "expected \"/modules/{moduleId}/inputs/{input}\""),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"/modules//inputs/in1\")", 40, "found \"/modules//inputs/in1\""),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"/modules/m1/inputs/\")", 40, "expected \"/modules/"),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"/modules/m1/inputs/a/b\")", 40, "expected \"/modules/"),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"modules/m1/inputs/a\")", 40, "expected \"/modules/"),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(/modules/m1/inputs/a)", 40, "expected a quoted path"),
        Arguments.of("FROM /messages/* INTO BrokeredEndpoint(\"/modules/m1/inputs/a\"", 62, "expected ')'"),
        Arguments.of("FROM /messages/* INTO Endpoint(\"x\")", 23, "expected a sink, $upstream or BrokeredEndpoint"),
        Arguments.of("FROM /messages/* INTO $downstream", 23, "found '$downstream'"),
        Arguments.of("FROM /messages/* INTO", 22, "expected a sink, $upstream or BrokeredEndpoint(\"/modules/{moduleId}/inputs/{input}\"), found the end of the route"),
        Arguments.of("FROM /messages/* WHERE INTO $upstream", 24, "expected a condition, found 'INTO'"),
        Arguments.of("FROM /messages/* WHERE", 23, "expected a condition, found the end of the route"),
        Arguments.of("FROM /messages/*", 17, "expected WHERE or INTO after the source"),
        Arguments.of("FROM /messages/* TO $upstream", 18, "expected WHERE or INTO after the source, found 'TO'"),
        Arguments.of("FROM messages/* INTO $upstream", 6, "expected a source path starting with '/'"),
        Arguments.of("FROM", 5, "expected a source path starting with '/'"),
        Arguments.of("SELECT FROM /messages INTO $upstream", 8, "expected '*' after SELECT"),
        Arguments.of("INTO $upstream", 1, "expected FROM (or SELECT * FROM), found 'INTO'"),
        Arguments.of("", 1, "expected FROM (or SELECT * FROM), found the end of the route"),
        Arguments.of("FROM /messages/* WHERE a = 'b' c INTO $upstream", 32, "expected an operator or INTO after the condition, found 'c'"),
        Arguments.of("FROM /messages/* WHERE a == 'b' INTO $upstream", 26, "'==' is not an operator: use '=' to compare"),
        Arguments.of("FROM /messages/* WHERE a = 3 INTO $upstream", 26, "comparison = wants both sides of the same type, got a string and a number"),
        Arguments.of("FROM /messages/* WHERE twin_change_includes('properties.reported.x') INTO $upstream", 45, "only allowed on routes FROM /twinChangeNotifications"),
        Arguments.of("FROM /twinChangeNotifications WHERE twin_change_includes(x) INTO $upstream", 58, "expects a string literal path"),
        Arguments.of("FROM /twinChangeNotifications WHERE twin_change_includes('reported.x') INTO $upstream", 58, "expected a path starting with properties.reported."),
        Arguments.of("FROM /twinChangeNotifications WHERE twin_change_includes('properties.reported.a[') INTO $upstream", 58, "bad twin_change_includes path"),
        Arguments.of("FROM /twinChangeNotifications WHERE twin_change_includes() INTO $upstream", 37, "twin_change_includes takes 1 argument, got 0"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("invalidRoutes")
  void invalidRouteIsRejectedWithColumnAndExpectation(String text, int column, String message) {
    assertThatThrownBy(() -> compile("bad", text))
        .isInstanceOfSatisfying(
            RouteCompileException.class,
            e -> {
              RouteError err = e.errors().get(0);
              assertThat(err.routeName()).isEqualTo("bad");
              assertThat(err.line()).isEqualTo(1);
              assertThat(err.column()).isEqualTo(column);
              assertThat(err.message()).contains(message);
            });
  }

  @Test
  void errorNamesRouteLineAndColumnAndPutsCaretUnderTheFault() {
    String text = "FROM /messages/*\nWHERE temp > 100\nINTO $upstream";
    assertThatThrownBy(() -> compile("hot", text))
        .isInstanceOfSatisfying(
            RouteCompileException.class,
            e -> {
              RouteError err = e.errors().get(0);
              assertThat(err.line()).isEqualTo(2);
              assertThat(err.column()).isEqualTo(12);
              assertThat(err.lineText()).isEqualTo("WHERE temp > 100");
              String nl = System.lineSeparator();
              assertThat(err.render())
                  .isEqualTo(
                      "route 'hot', line 2, column 12: comparison > wants both sides of the same type,"
                          + " got a string and a number"
                          + nl
                          + "  WHERE temp > 100"
                          + nl
                          + "             ^");
            });
  }

  @Test
  void deeplyNestedConditionIsTooDeeplyNestedNotAStackOverflow() {
    String deep = "FROM /messages/* WHERE " + "(".repeat(100_000) + "true" + ")".repeat(100_000) + " INTO $upstream";
    RouteLanguageSettings big = new RouteLanguageSettings(64, 1_000_000, 10);
    assertThatThrownBy(() -> RouteSet.compile(List1.of(RouteSpec.bare("deep", deep)), Duration.ZERO.plusSeconds(1), big))
        .isInstanceOf(RouteCompileException.class)
        .hasMessageContaining("too deeply nested: more than 64 levels (clearway.route-language.max-nesting-depth)");
    String nots = "NOT ".repeat(10_000) + "true";
    assertThatThrownBy(() -> Condition.compile(nots, big))
        .hasMessageContaining("too deeply nested");
    String sums = "1" + " + 1".repeat(70) + " = 71";
    assertThatThrownBy(() -> Condition.compile(sums, big)).hasMessageContaining("too deeply nested");
  }

  @Test
  void longAndOrChainsDoNotCountAsNesting() {
    String chain = "true" + " AND true".repeat(500);
    assertThat(Condition.compile(chain, new RouteLanguageSettings(8, 10_000, 10)).evaluate(Message.builder().build()))
        .isEqualTo(Truth.TRUE);
  }

  @Test
  void routeLongerThanTheBoundIsRejectedNamingTheSetting() {
    String text = "FROM /messages/* WHERE a = '" + "x".repeat(100) + "' INTO $upstream";
    RouteLanguageSettings small = new RouteLanguageSettings(64, 50, 10);
    assertThatThrownBy(() -> RouteSet.compile(List1.of(RouteSpec.bare("long", text)), Duration.ofSeconds(1), small))
        .hasMessageContaining("longer than 50 characters (clearway.route-language.max-route-length)");
  }

  @Test
  void routeWithoutWhereAlwaysMatchesItsSource() {
    RoutingRule rule = compile("FROM /messages/modules/* INTO $upstream");
    assertThat(rule.fires(Message.builder().source("/messages/modules/m1").build())).isTrue();
    assertThat(rule.fires(Message.builder().build())).isFalse();
    assertThat(rule.conditionText()).isEmpty();
  }

  @Test
  void twinChangeIncludesLooksForThePathInTheReportedPatch() {
    RoutingRule rule =
        compile("FROM /twinChangeNotifications WHERE twin_change_includes('properties.reported.fw.version') INTO $upstream");
    Message.Builder twin =
        TestMessages.json().source("/twinChangeNotifications");
    assertThat(rule.fires(twin.body("{\"fw\":{\"version\":\"1.2\"}}").build())).isTrue();
    assertThat(rule.condition().evaluate(twin.body("{\"fw\":{\"other\":1}}").build())).isEqualTo(Truth.FALSE);
    assertThat(rule.condition().evaluate(twin.body("{\"fw\":{\"version\":null}}").build())).isEqualTo(Truth.FALSE);
    assertThat(rule.condition().evaluate(twin.body("not json").build())).isEqualTo(Truth.UNDEFINED);
  }

  /** Avoids java.util.List.of's ambiguity noise in the long argument lists above. */
  static final class List1 {
    static java.util.List<RouteSpec> of(RouteSpec s) {
      return java.util.List.of(s);
    }
  }
}

package dev.clearway.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Source matching, endpoints, priorities and time-to-live of a compiled set. */
class RouteSetTest {

  private static final Duration GLOBAL = Duration.ofSeconds(7200);
  private static final Endpoint M1 = new Endpoint.ModuleInput("m1", "in1");

  private static RouteSet set(RouteSpec... specs) {
    return RouteSet.compile(List.of(specs), GLOBAL, RouteLanguageSettings.DEFAULTS);
  }

  private static Message from(String source) {
    return Message.builder().source(source).build();
  }

  // ROUTES.md, "Sources": each bullet, plus the neighbours that must not match.
  @ParameterizedTest(name = "FROM {0} sees {1}: {2}")
  @CsvSource({
    "/*, /messages, true",
    "/*, /messages/modules/m1/outputs/o1, true",
    "/*, /twinChangeNotifications, true",
    "/, /messages, true",
    "/, /twinChangeNotifications, true",
    "/messages/*, /messages, true",
    "/messages/*, /messages/modules/m1, true",
    "/messages/*, /messages/modules/m1/outputs/o1, true",
    "/messages/*, /twinChangeNotifications, false",
    "/messages, /messages/modules/m1, true",
    "/messages/modules/*, /messages, false",
    "/messages/modules/*, /messages/modules/m1, true",
    "/messages/modules/*, /messages/modules/m1/outputs/o1, true",
    "/messages/modules/M1/*, /messages/modules/M1, true",
    "/messages/modules/M1/*, /messages/modules/m1/outputs/o1, true",
    "/messages/modules/M1/*, /messages/modules/M10, false",
    "/messages/modules/M1/outputs/o1, /messages/modules/M1/outputs/o1, true",
    "/messages/modules/M1/outputs/o1, /messages/modules/M1/outputs/O1, true",
    "/messages/modules/M1/outputs/o1, /messages/modules/M1/outputs/o10, false",
    "/messages/modules/M1/outputs/o1, /messages/modules/M1, false",
    "/message, /messages, false",
    "/messages/event, /messages, false",
    "/*/messages/*, /messages, false",
    "/foo/*, /messages, false",
    "/twinChangeNotifications, /twinChangeNotifications, true",
    "/twinChangeNotifications, /messages, false",
    "/MESSAGES/*, /messages, true"
  })
  void routeSourceMatchesMessageSourcePrefixIgnoringCase(String routeSource, String messageSource, boolean matches) {
    RoutingRule rule = set(RouteSpec.bare("r", "FROM " + routeSource + " INTO $upstream")).rules().get(0);
    assertThat(rule.matchesSource(from(messageSource))).isEqualTo(matches);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/messages/* | /messages/",
        "' /messages/* ' | /messages/",
        "/messages/ | /messages/",
        "/ | /",
        "/* | /",
        "/Messages/Modules/M1/* | /messages/modules/m1/"
      })
  void sourceIsNormalisedTrimmedStarAndSlashDroppedThenSlashAdded(String source, String key) {
    assertThat(RoutingRule.sourceKey(source)).isEqualTo(key);
  }

  @Test
  void sourceOutsideMessagesAndTwinNotificationsIsAWarningNotAnError() {
    RouteSet s =
        set(
            RouteSpec.bare("odd", "FROM /foo/* INTO $upstream"),
            RouteSpec.bare("all", "FROM /* INTO $upstream"),
            RouteSpec.bare("root", "FROM / INTO $upstream"),
            RouteSpec.bare("twin", "FROM /twinChangeNotifications INTO $upstream"),
            RouteSpec.bare("event", "FROM /messages/event INTO $upstream"),
            RouteSpec.bare("star", "FROM /*/messages/* INTO $upstream"));
    assertThat(s.warnings()).hasSize(2);
    assertThat(s.warnings().get(0)).contains("route 'odd'", "'/foo/*'", "not under /messages or /twinChangeNotifications");
    assertThat(s.warnings().get(1)).contains("route 'star'");
  }

  @Test
  void deviceTelemetryRouteExcludesModuleMessages() {
    RouteSet s = set(RouteSpec.bare("dev", "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO $upstream"));
    Message device = Message.builder().systemProperty(SystemProperty.CONNECTION_DEVICE_ID, "d1").build();
    Message module =
        Message.builder()
            .source("/messages/modules/m1/outputs/o1")
            .systemProperty(SystemProperty.CONNECTION_DEVICE_ID, "d1")
            .systemProperty(SystemProperty.CONNECTION_MODULE_ID, "m1")
            .build();
    assertThat(s.endpointsFor(device)).extracting(RoutedEndpoint::endpoint).containsExactly(Endpoint.UPSTREAM);
    assertThat(s.endpointsFor(module)).isEmpty();
  }

  @Test
  void messageToOneEndpointFromTwoRoutesGoesOnceAtTheHigherPriorityWithThatRoutesTtl() {
    RouteSet s =
        set(
            new RouteSpec("low", "FROM /messages/* INTO $upstream", 5, Duration.ofHours(10)),
            new RouteSpec("high", "FROM /messages/* INTO $upstream", 1, Duration.ofMinutes(10)),
            RouteSpec.bare("bare", "FROM /messages/* INTO $upstream"));
    assertThat(s.endpointsFor(from("/messages")))
        .containsExactly(new RoutedEndpoint(Endpoint.UPSTREAM, 1, Duration.ofMinutes(10), "high"));
  }

  @Test
  void bareStringRouteRanksBelowPriorityNine() {
    RouteSet s =
        set(
            RouteSpec.bare("bare", "FROM /messages/* INTO $upstream"),
            new RouteSpec("nine", "FROM /messages/* INTO $upstream", 9, Duration.ZERO));
    RoutedEndpoint e = s.endpointsFor(from("/messages")).get(0);
    assertThat(e.priority()).isEqualTo(9);
    assertThat(e.routeName()).isEqualTo("nine");
    assertThat(RouteSpec.BARE_PRIORITY).isGreaterThan(9);
  }

  @Test
  void equalPrioritiesKeepTheLongestTtlAndForeverIsLongest() {
    RouteSet s =
        set(
            new RouteSpec("hour", "FROM /messages/* INTO $upstream", 2, Duration.ofHours(1)),
            new RouteSpec("forever", "FROM /messages/* INTO $upstream", 2, Duration.ofSeconds(-1)),
            new RouteSpec("day", "FROM /messages/* INTO $upstream", 2, Duration.ofDays(1)));
    RoutedEndpoint e = s.endpointsFor(from("/messages")).get(0);
    assertThat(e.routeName()).isEqualTo("forever");
    assertThat(e.forever()).isTrue();
  }

  @Test
  void ttlZeroMeansTheGlobalStoreAndForwardTtl() {
    RouteSet s = set(new RouteSpec("z", "FROM /messages/* INTO $upstream", 0, Duration.ZERO));
    assertThat(s.endpointsFor(from("/messages")).get(0).timeToLive()).isEqualTo(GLOBAL);
  }

  @Test
  void differentEndpointsEachGetTheMessage() {
    RouteSet s =
        set(
            RouteSpec.bare("up", "FROM /messages/* INTO $upstream"),
            new RouteSpec("mod", "FROM /messages/* INTO BrokeredEndpoint(\"/modules/m1/inputs/in1\")", 3, Duration.ofMinutes(1)),
            RouteSpec.bare("mod2", "FROM /messages/* WHERE false INTO BrokeredEndpoint(\"/modules/m2/inputs/in1\")"));
    assertThat(s.endpointsFor(from("/messages")))
        .containsExactly(
            new RoutedEndpoint(Endpoint.UPSTREAM, RouteSpec.BARE_PRIORITY, GLOBAL, "up"),
            new RoutedEndpoint(M1, 3, Duration.ofMinutes(1), "mod"));
  }

  @Test
  void onlyATrueConditionFires() {
    RouteSet s =
        set(
            RouteSpec.bare("null", "FROM /messages/* WHERE null INTO $upstream"),
            RouteSpec.bare("undef", "FROM /messages/* WHERE missing = 'x' INTO $upstream"),
            RouteSpec.bare("num", "FROM /messages/* WHERE 1 INTO $upstream"));
    assertThat(s.endpointsFor(from("/messages"))).isEmpty();
  }

  static Stream<Arguments> badSets() {
    return Stream.of(
        Arguments.of(
            List.of(
                RouteSpec.bare("good", "FROM /messages/* INTO $upstream"),
                RouteSpec.bare("bad1", "FROM /messages/* WHERE a == 'b' INTO $upstream"),
                RouteSpec.bare("bad2", "FROM /messages/* INTO $nowhere")),
            List.of("bad1", "bad2")),
        Arguments.of(
            List.of(
                RouteSpec.bare("same", "FROM /messages/* INTO $upstream"),
                RouteSpec.bare("same", "FROM /messages/* INTO $upstream")),
            List.of("same")));
  }

  @ParameterizedTest
  @MethodSource("badSets")
  void compilingASetReportsEveryErrorAndRejectsTheSet(List<RouteSpec> specs, List<String> badNames) {
    assertThatThrownBy(() -> RouteSet.compile(specs, GLOBAL, RouteLanguageSettings.DEFAULTS))
        .isInstanceOfSatisfying(
            RouteCompileException.class,
            e -> assertThat(e.errors()).extracting(RouteError::routeName).containsExactlyElementsOf(badNames));
  }

  @Test
  void aRejectedSetLeavesTheRunningSetRouting() {
    RouteSet running = set(RouteSpec.bare("up", "FROM /messages/* INTO $upstream"));
    assertThatThrownBy(() -> set(RouteSpec.bare("up", "FROM /messages/* INTO $nowhere")))
        .isInstanceOf(RouteCompileException.class);
    // ROUTES.md, "Errors": the routes that were running keep running.
    assertThat(running.endpointsFor(from("/messages"))).hasSize(1);
  }

  @Test
  void moreRoutesThanTheBoundIsAnErrorNamingTheSetting() {
    RouteSpec a = RouteSpec.bare("a", "FROM /* INTO $upstream");
    RouteSpec b = RouteSpec.bare("b", "FROM /* INTO $upstream");
    assertThatThrownBy(() -> RouteSet.compile(List.of(a, b), GLOBAL, new RouteLanguageSettings(64, 4096, 1)))
        .hasMessageContaining("2 routes are more than 1 (clearway.route-language.max-routes)");
  }

  @Test
  void priorityOutsideZeroToNineIsRefused() {
    assertThatThrownBy(() -> new RouteSpec("p", "FROM /* INTO $upstream", 11, Duration.ZERO))
        .hasMessage("route 'p': priority must be 0..9, got 11");
    assertThatThrownBy(() -> new RouteSpec("p", "FROM /* INTO $upstream", -1, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBodyIsParsedOnceHoweverManyRoutesQueryIt() {
    RouteSpec[] specs = new RouteSpec[20];
    for (int i = 0; i < specs.length; i++) {
      specs[i] = RouteSpec.bare("r" + i, "FROM /messages/* WHERE $body.t > " + i + " INTO $upstream");
    }
    Message m =
        TestMessages.json()
            .body("{\"t\": 10}")
            .build();
    assertThat(m.bodyParses()).isZero();
    RoutedEndpoint e = set(specs).endpointsFor(m).get(0);
    assertThat(e.routeName()).isEqualTo("r0");
    assertThat(m.bodyParses()).isEqualTo(1);
  }

  @Test
  void aRouteThatNeverAsksForTheBodyNeverParsesIt() {
    Message m =
        TestMessages.json()
            .body("{\"t\": 10}")
            .build();
    set(RouteSpec.bare("r", "FROM /messages/* WHERE a = 'b' INTO $upstream")).endpointsFor(m);
    assertThat(m.bodyParses()).isZero();
  }
}

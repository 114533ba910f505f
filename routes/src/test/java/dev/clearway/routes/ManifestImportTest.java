package dev.clearway.routes;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ManifestImportTest {

  private static final String MANIFEST =
      "{\"modulesContent\": {\"$edgeAgent\": {}, \"$edgeHub\": {\"properties.desired\": {"
          + "\"schemaVersion\": \"1.1\","
          + "\"routes\": {"
          + "  \"secCamAlerts\": {\"route\": \"FROM /messages/modules/SecCam/outputs/P0 INTO $upstream\", \"priority\": 0, \"timeToLiveSecs\": 86400},"
          + "  \"toFilter\": \"FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO BrokeredEndpoint(\\\"/modules/filter/inputs/in1\\\")\","
          + "  \"upstream\": \"FROM /messages/* INTO $upstream\""
          + "},"
          + "\"storeAndForwardConfiguration\": {\"timeToLiveSecs\": 3600}}}}}";

  @Test
  void manifestRoutesBecomeEquivalentHocon() {
    ManifestImport.Result r = ManifestImport.convert(MANIFEST, RouteLanguageSettings.DEFAULTS);
    assertThat(r.errors()).isEmpty();
    RouteSettings s =
        RouteSettings.fromConfig(
            ConfigFactory.parseString(r.hocon()).withFallback(ConfigFactory.defaultReference()).resolve());
    assertThat(s.routes())
        .containsExactly(
            new RouteSpec("secCamAlerts", "FROM /messages/modules/SecCam/outputs/P0 INTO $upstream", 0, Duration.ofDays(1)),
            RouteSpec.bare(
                "toFilter",
                "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO BrokeredEndpoint(\"/modules/filter/inputs/in1\")"),
            RouteSpec.bare("upstream", "FROM /messages/* INTO $upstream"));
    assertThat(s.globalTimeToLive()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void azCliDeploymentShapeAndBareDesiredPropertiesAreAccepted() {
    String desired = "{\"schemaVersion\": \"1.3\", \"routes\": {\"r\": \"FROM /* INTO $upstream\"}}";
    String az = "{\"content\": {\"modulesContent\": {\"$edgeHub\": {\"properties.desired\": " + desired + "}}}}";
    assertThat(ManifestImport.convert(desired, RouteLanguageSettings.DEFAULTS).ok()).isTrue();
    assertThat(ManifestImport.convert(az, RouteLanguageSettings.DEFAULTS).hocon()).contains("r = \"FROM /* INTO $upstream\"");
  }

  @Test
  void sectionsWithoutAnEquivalentAreNamedInWarnings() {
    String m =
        "{\"schemaVersion\": \"1.2\", \"routes\": {\"r\": \"FROM /foo/* INTO $upstream\"},"
            + " \"mqttBroker\": {\"authorizations\": []}, \"$version\": 4}";
    ManifestImport.Result r = ManifestImport.convert(m, RouteLanguageSettings.DEFAULTS);
    assertThat(r.ok()).isTrue();
    assertThat(r.warnings())
        .containsExactly(
            "route 'r': source '/foo/*' is not under /messages or /twinChangeNotifications; it matches no"
                + " message the gateway produces",
            "'mqttBroker' is not imported: only routes and storeAndForwardConfiguration are");
    assertThat(r.hocon()).contains("# warning: 'mqttBroker' is not imported");
  }

  @Test
  void routeErrorsAreReportedWithCaretAndNoHocon() {
    String m =
        "{\"schemaVersion\": \"1.0\", \"routes\": {\"a\": \"FROM /messages/* INTO $upstream WHERE x = 'y'\","
            + " \"b\": \"FROM /messages/* WHERE k == 1 INTO $upstream\"}}";
    ManifestImport.Result r = ManifestImport.convert(m, RouteLanguageSettings.DEFAULTS);
    assertThat(r.hocon()).isEmpty();
    assertThat(r.errors()).hasSize(2);
    assertThat(r.errors().get(0)).startsWith("route 'a', line 1, column 33").contains("^");
    assertThat(r.errors().get(1)).startsWith("route 'b', line 1, column 26");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "not json | not valid JSON",
        "[] | no $edgeHub desired properties",
        "{\"schemaVersion\": \"2.0\", \"routes\": {}} | schemaVersion must be \"1.0\" .. \"1.3\", got \"2.0\"",
        "{\"routes\": {}, \"x\": 1} | schemaVersion must be",
        "{\"schemaVersion\": \"1.0\", \"routes\": {\"r\": {\"route\": \"FROM /* INTO $upstream\"}}} | routes.r: a route object needs schemaVersion 1.1 or later",
        "{\"schemaVersion\": \"1.1\", \"routes\": {\"r\": {\"route\": \"FROM /* INTO $upstream\", \"priority\": 10}}} | routes.r.priority: expected an integer 0..9, got 10",
        "{\"schemaVersion\": \"1.1\", \"routes\": {\"r\": {\"route\": \"FROM /* INTO $upstream\", \"timeToLiveSecs\": -5}}} | routes.r.timeToLiveSecs: expected an integer",
        "{\"schemaVersion\": \"1.1\", \"routes\": {\"r\": {\"route\": \"FROM /* INTO $upstream\", \"ttl\": 5}}} | routes.r: unknown field 'ttl'",
        "{\"schemaVersion\": \"1.1\", \"routes\": {\"r\": {\"priority\": 1}}} | routes.r.route: expected the route text",
        "{\"schemaVersion\": \"1.1\", \"routes\": {\"r\": 5}} | routes.r: expected a route string",
        "{\"schemaVersion\": \"1.1\", \"routes\": {\"a.b\": \"FROM /* INTO $upstream\"}} | routes.a.b: a route name may not contain",
        "{\"schemaVersion\": \"1.1\"} | routes: missing",
        "{\"schemaVersion\": \"1.1\", \"routes\": {}, \"storeAndForwardConfiguration\": {\"timeToLiveSecs\": \"x\"}} | storeAndForwardConfiguration.timeToLiveSecs"
      })
  void badManifestGivesAClearError(String manifest, String expected) {
    ManifestImport.Result r = ManifestImport.convert(manifest, RouteLanguageSettings.DEFAULTS);
    assertThat(r.ok()).isFalse();
    assertThat(r.errors()).anySatisfy(e -> assertThat(e).contains(expected));
  }
}

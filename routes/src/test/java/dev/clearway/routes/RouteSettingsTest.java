package dev.clearway.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteSettingsTest {

  private static Config conf(String hocon) {
    return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  @Test
  void referenceConfHasNoRoutesAndIotEdgeDefaults() {
    RouteSettings s = RouteSettings.fromConfig(conf(""));
    assertThat(s.routes()).isEmpty();
    assertThat(s.globalTimeToLive()).isEqualTo(Duration.ofSeconds(7200));
    assertThat(s.language()).isEqualTo(RouteLanguageSettings.DEFAULTS);
  }

  @Test
  void stringRoutesAreBareAndObjectRoutesCarryPriorityAndTtl() {
    RouteSettings s =
        RouteSettings.fromConfig(
            conf(
                "clearway.routes { allToHub = \"FROM /messages/* INTO $upstream\"\n"
                    + " alerts { route = \"FROM /messages/* WHERE a = 'b' INTO $upstream\", priority = 0, time-to-live = 1h }\n"
                    + " keep { route = \"FROM /* INTO $upstream\", time-to-live = -1s }\n"
                    + " \"odd.name\" = \"FROM / INTO $upstream\" }\n"
                    + "clearway.store-and-forward.time-to-live = 30m"));
    assertThat(s.routes())
        .containsExactly(
            new RouteSpec("alerts", "FROM /messages/* WHERE a = 'b' INTO $upstream", 0, Duration.ofHours(1)),
            RouteSpec.bare("allToHub", "FROM /messages/* INTO $upstream"),
            new RouteSpec("keep", "FROM /* INTO $upstream", RouteSpec.BARE_PRIORITY, Duration.ofSeconds(-1)),
            RouteSpec.bare("odd.name", "FROM / INTO $upstream"));
    assertThat(s.globalTimeToLive()).isEqualTo(Duration.ofMinutes(30));
    assertThat(RouteSet.compile(s).rules()).hasSize(4);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "clearway.routes.a { route = \"FROM / INTO $upstream\", priority = 10 } | Invalid value at 'clearway.routes.a.priority': must be 0 (highest) .. 9, got 10",
        "clearway.routes.a { route = \"FROM / INTO $upstream\", priority = high } | clearway.routes.a.priority",
        "clearway.routes.a { route = \"FROM / INTO $upstream\", time-to-live = 3600 } | Invalid value at 'clearway.routes.a.time-to-live': give a unit",
        "clearway.routes.a { route = \"FROM / INTO $upstream\", time-to-live = soon } | clearway.routes.a.time-to-live",
        "clearway.routes.a { route = \"FROM / INTO $upstream\", prio = 1 } | Invalid value at 'clearway.routes.a': unknown key 'prio'",
        "clearway.routes.a { priority = 1 } | Invalid value at 'clearway.routes.a': missing 'route'",
        "clearway.routes.a = 5 | Invalid value at 'clearway.routes.a': expected a route string",
        "clearway.routes = [] | clearway.routes",
        "clearway.store-and-forward.time-to-live = 0s | Invalid value at 'clearway.store-and-forward.time-to-live': must not be 0",
        "clearway.store-and-forward.time-to-live = 7200 | give a unit",
        "clearway.route-language.max-nesting-depth = 0 | Invalid value at 'clearway.route-language.max-nesting-depth': must be 1..256, got 0",
        "clearway.route-language.max-routes = many | clearway.route-language.max-routes"
      })
  void wrongSettingIsOneLineNamingTheKey(String hocon, String expected) {
    assertThatThrownBy(() -> RouteSettings.fromConfig(conf(hocon)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(expected)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }
}

package dev.clearway.streams.store;

import com.typesafe.config.ConfigFactory;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.RoutedEndpoint;
import dev.clearway.routes.SystemProperty;
import dev.clearway.tls.MutableClock;
import java.time.Duration;
import java.time.Instant;

/** Shared pieces of the store tests: settings, messages, endpoints and a clock the test moves. */
final class StoreFixtures {
  static final Endpoint UPSTREAM = Endpoint.UPSTREAM;
  static final Endpoint FILTER = new Endpoint.ModuleInput("filter", "input1");
  static final Endpoint ALERTS = new Endpoint.ModuleInput("alerts", "in");
  static final Duration HOUR = Duration.ofHours(1);
  static final Duration FOREVER = Duration.ofSeconds(-1);

  private StoreFixtures() {}

  /** The reference.conf settings, without fsync (the tests prove ordering, not the disk). */
  static StoreSettings settings() {
    return StoreSettings.create(ConfigFactory.load()).withSync(false);
  }

  static Message message(String body) {
    return Message.builder()
        .source("/messages")
        .systemProperty(SystemProperty.CONNECTION_DEVICE_ID, "d1")
        .property("n", body)
        .body(body)
        .build();
  }

  static RoutedEndpoint to(Endpoint endpoint, int priority) {
    return new RoutedEndpoint(endpoint, priority, HOUR, "r");
  }

  static RoutedEndpoint to(Endpoint endpoint, int priority, Duration ttl) {
    return new RoutedEndpoint(endpoint, priority, ttl, "r");
  }

  /** A clock the test moves, starting at a fixed instant. */
  static MutableClock clock() {
    return new MutableClock(Instant.parse("2026-11-26T10:00:00Z"));
  }
}

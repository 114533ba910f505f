package dev.clearway.routes;

import java.time.Duration;

/**
 * One endpoint a message goes to, with the priority and time-to-live of the route that won it.
 *
 * @param endpoint where the message goes
 * @param priority 0 (highest) … 9, or {@link RouteSpec#BARE_PRIORITY}
 * @param timeToLive how long the message may wait there, the global TTL already applied; negative
 *     means forever
 * @param routeName the route that decided priority and TTL
 */
public record RoutedEndpoint(Endpoint endpoint, int priority, Duration timeToLive, String routeName) {

  /** Whether the message never expires at this endpoint. */
  public boolean forever() {
    return timeToLive.isNegative();
  }
}

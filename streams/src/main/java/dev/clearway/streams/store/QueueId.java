package dev.clearway.streams.store;

import dev.clearway.routes.Endpoint;

/**
 * One queue of the store: an endpoint at one priority. For metrics (queue length per queue).
 *
 * @param endpoint the endpoint the queue feeds
 * @param priority 0 (highest) … {@link dev.clearway.routes.RouteSpec#BARE_PRIORITY}
 */
public record QueueId(Endpoint endpoint, int priority) {}

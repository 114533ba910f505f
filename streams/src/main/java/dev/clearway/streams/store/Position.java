package dev.clearway.streams.store;

/**
 * Where a stored message sits in one endpoint's queues: what a consumer acknowledges.
 *
 * @param priority the queue's priority, 0 (highest) … {@link dev.clearway.routes.RouteSpec#BARE_PRIORITY}
 * @param sequence the message's store-wide sequence number (never reused)
 */
public record Position(int priority, long sequence) {}

package dev.clearway.streams.store;

import dev.clearway.routes.Message;
import java.time.Instant;

/**
 * A message read from one endpoint's queues, with the position to acknowledge it by.
 *
 * @param position the queue (priority) and sequence to pass to {@code acknowledge}
 * @param message the message as it was appended
 * @param enqueuedAt when it was appended (the store's clock)
 * @param storedBytes the size of its stored record, which {@code next}'s byte limit counts
 */
public record StoredMessage(Position position, Message message, Instant enqueuedAt, int storedBytes) {}

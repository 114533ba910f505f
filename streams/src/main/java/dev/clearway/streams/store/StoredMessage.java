package dev.clearway.streams.store;

import dev.clearway.routes.Message;
import java.time.Instant;

/**
 * A message read from one endpoint's queues, with the position to acknowledge it by.
 *
 * @param position the queue (priority) and sequence to pass to {@code acknowledge}
 * @param message the message as it was appended
 * @param enqueuedAt when it was appended (the store's clock)
 * @param expiresAt when this endpoint's reference expires (the store's clock); {@link Instant#MAX}
 *     for never. A reader that holds a message past it should not deliver it: the store counts and
 *     removes the reference when a read or the cleanup meets it.
 * @param storedBytes the size of its stored record, which {@code next}'s byte limit counts
 */
public record StoredMessage(Position position, Message message, Instant enqueuedAt, Instant expiresAt, int storedBytes) {}

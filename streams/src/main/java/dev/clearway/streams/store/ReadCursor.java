package dev.clearway.streams.store;

import java.util.Arrays;
import java.util.OptionalLong;

/**
 * One reader's place in an endpoint's queues, so that a reader which keeps messages in flight reads
 * on after them instead of passing over all of them again at every read.
 *
 * <p>{@link MessageStore#next(dev.clearway.routes.Endpoint, int, long, ReadCursor,
 * java.util.function.Predicate)} starts each priority's queue just after the last reference the
 * cursor's previous reads examined, and moves the cursor over what it examines. That is right as
 * long as everything behind the cursor was either acknowledged or is still held by the reader; when
 * the reader gives messages back unsent (a connection lost, a message expired before it was sent, an
 * acknowledgement that failed), it calls {@link #rewind()} and the next read starts again from the
 * oldest unacknowledged message. Sequences are never reused and are written in order, so nothing
 * appended later can land behind the cursor.
 *
 * <p>Not thread-safe: one reader, reading from one thread at a time.
 */
public final class ReadCursor {

  private static final long FROM_OLDEST = -1;

  private final long[] after = new long[MessageStore.LOWEST_PRIORITY + 1];

  public ReadCursor() {
    rewind();
  }

  /** The next read starts from the oldest unacknowledged message of each priority again. */
  public void rewind() {
    Arrays.fill(after, FROM_OLDEST);
  }

  /** The last sequence examined in {@code priority}'s queue, or empty when the read starts from the oldest. */
  OptionalLong after(int priority) {
    long a = after[priority];
    return a == FROM_OLDEST ? OptionalLong.empty() : OptionalLong.of(a);
  }

  void passed(int priority, long sequence) {
    after[priority] = sequence;
  }

  @Override
  public String toString() {
    return "ReadCursor" + Arrays.toString(after);
  }
}

package dev.clearway.streams.store;

/**
 * What an append did: the message's sequence number and how many queues now refer to it.
 *
 * @param sequence the store-wide sequence number, or -1 when nothing was stored
 * @param references the number of queues (endpoint × priority) the message was put in; 0 when the
 *     message had no endpoint (the router counts that as {@code no_route})
 */
public record StoredRef(long sequence, int references) {

  /** The answer for a message routed nowhere: it is not stored. */
  public static final StoredRef NOT_STORED = new StoredRef(-1, 0);

  /** Whether the message was stored (it had at least one endpoint). */
  public boolean stored() {
    return references > 0;
  }
}

package dev.clearway.streams.store;

import dev.clearway.routes.Endpoint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The byte layout of the store's keys and reference values (see {@link MessageStore} for the column
 * families). Every number is big-endian, so RocksDB's bytewise order is numeric order: a queue's
 * references iterate oldest first, which is the FIFO order within a priority.
 */
final class Keys {
  /** The length of a reference value: enqueued-at millis, expires-at millis. */
  static final int REF_VALUE_LENGTH = 16;
  /** Expires-at of a reference that never expires. */
  static final long NEVER = Long.MAX_VALUE;

  private static final byte UPSTREAM = 0;
  private static final byte MODULE_INPUT = 1;

  private Keys() {}

  /** {@code messages} key: the sequence number. */
  static byte[] message(long sequence) {
    return ByteBuffer.allocate(8).putLong(sequence).array();
  }

  static long sequenceOfMessage(byte[] key) {
    return ByteBuffer.wrap(key).getLong();
  }

  /** The prefix every reference of one queue shares: endpoint length, endpoint, priority. */
  static byte[] queuePrefix(Endpoint endpoint, int priority) {
    byte[] e = endpoint(endpoint);
    return ByteBuffer.allocate(2 + e.length + 1).putShort((short) e.length).put(e).put((byte) priority).array();
  }

  /** {@code refs} key: the queue prefix, then the sequence number. */
  static byte[] ref(Endpoint endpoint, int priority, long sequence) {
    byte[] prefix = queuePrefix(endpoint, priority);
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(sequence).array();
  }

  static byte[] refValue(long enqueuedAt, long expiresAt) {
    return ByteBuffer.allocate(REF_VALUE_LENGTH).putLong(enqueuedAt).putLong(expiresAt).array();
  }

  static long enqueuedAt(byte[] refValue) {
    return ByteBuffer.wrap(refValue).getLong(0);
  }

  static long expiresAt(byte[] refValue) {
    return ByteBuffer.wrap(refValue).getLong(8);
  }

  static long sequenceOfRef(byte[] key) {
    return ByteBuffer.wrap(key).getLong(key.length - 8);
  }

  /** The queue a reference key belongs to. */
  static QueueId queueOfRef(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key);
    int length = b.getShort() & 0xffff;
    ByteBuffer e = b.slice().limit(length);
    b.position(2 + length);
    int priority = b.get();
    Endpoint endpoint;
    byte kind = e.get();
    if (kind == UPSTREAM) {
      endpoint = Endpoint.UPSTREAM;
    } else if (kind == MODULE_INPUT) {
      endpoint = new Endpoint.ModuleInput(string(e), string(e));
    } else {
      throw new IllegalArgumentException("unknown endpoint kind " + kind);
    }
    return new QueueId(endpoint, priority);
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** The endpoint's own bytes: a kind byte, then (for a module input) module id and input name. */
  private static byte[] endpoint(Endpoint endpoint) {
    if (endpoint instanceof Endpoint.ModuleInput m) {
      byte[] module = m.moduleId().getBytes(StandardCharsets.UTF_8);
      byte[] input = m.input().getBytes(StandardCharsets.UTF_8);
      return ByteBuffer.allocate(1 + 2 + module.length + 2 + input.length)
          .put(MODULE_INPUT)
          .putShort((short) module.length).put(module)
          .putShort((short) input.length).put(input)
          .array();
    }
    return new byte[] {UPSTREAM};
  }

  private static String string(ByteBuffer b) {
    byte[] s = new byte[b.getShort() & 0xffff];
    b.get(s);
    return new String(s, StandardCharsets.UTF_8);
  }
}

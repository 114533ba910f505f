package dev.clearway.benchmarks;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The load generator's message body: a 32-byte stamp followed by filler up to the message size.
 *
 * <p>The stamp carries the <em>intended</em> send time ({@link System#nanoTime()} of the load
 * generator's JVM, which also receives the message at the upstream broker, so one clock measures
 * both ends). In the fixed-rate test the intended time is the message's slot in the schedule, not
 * the moment the client got round to sending it: a system that falls behind is charged for the
 * wait (no coordinated omission). The phase, device and per-device sequence identify the message,
 * so the receiver can count losses and duplicates.
 *
 * <pre>
 * offset  size  field
 *      0     4  magic "CWB1"
 *      4     4  phase number
 *      8     4  device index
 *     12     8  sequence within (phase, device), from 0
 *     20     8  intended send time, System.nanoTime()
 *     28     4  body size, for a check against truncation
 *     32     …  filler: the byte (offset mod 251), so compression gains nothing special
 * </pre>
 */
final class Payload {
  static final int MAGIC = 0x43574231; // "CWB1"
  static final int STAMP_BYTES = 32;

  private Payload() {}

  /** What a message says about itself. */
  record Stamp(int phase, int device, long sequence, long intendedNanos) {}

  /** A body of {@code size} bytes carrying {@code stamp}. */
  static byte[] encode(Stamp stamp, int size) {
    if (size < STAMP_BYTES) {
      throw new IllegalArgumentException("a payload needs at least " + STAMP_BYTES + " bytes, asked for " + size);
    }
    byte[] body = new byte[size];
    for (int i = STAMP_BYTES; i < size; i++) {
      body[i] = (byte) (i % 251);
    }
    ByteBuffer.wrap(body).putInt(MAGIC).putInt(stamp.phase()).putInt(stamp.device()).putLong(stamp.sequence())
        .putLong(stamp.intendedNanos()).putInt(size);
    return body;
  }

  /** The stamp of a body this class encoded; empty for anything else (another publisher, a truncated body). */
  static Optional<Stamp> decode(ByteBuffer body) {
    ByteBuffer b = body.duplicate();
    if (b.remaining() < STAMP_BYTES) {
      return Optional.empty();
    }
    int size = b.remaining();
    if (b.getInt() != MAGIC) {
      return Optional.empty();
    }
    Stamp stamp = new Stamp(b.getInt(), b.getInt(), b.getLong(), b.getLong());
    return b.getInt() == size ? Optional.of(stamp) : Optional.empty();
  }
}

package dev.clearway.benchmarks;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The ledger of one load phase: what every device sent and had acknowledged (PUBACK from the system
 * under test), what arrived at the upstream broker, and when.
 *
 * <p>A phase runs from {@code start}: a warm-up, then the measured window {@code [measureFrom, end)}.
 * Only the window counts: throughput is what arrived at the upstream (and what was acknowledged)
 * within it, divided by its length; latency is recorded for the messages whose <em>intended</em>
 * send time lies within it, whenever they arrive. Per-second arrival counts cover the whole phase
 * (warm-up and drain included) for the plot. A message acknowledged to its device that never
 * arrives upstream is lost; one that arrives twice is a duplicate (allowed by QoS 1, counted).
 *
 * <p>Thread-safe: devices' acknowledgements and the subscriber's arrivals come on client threads.
 */
final class PhaseRecorder {
  /** Latencies above this are recorded as this (a stuck message is reported as at least 5 min). */
  static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(5);

  private final int phase;
  private final long start;
  private final long measureFrom;
  private final long end;
  private final Ledger[] ledgers;
  private final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(MAX_LATENCY_MICROS, 3);
  private final AtomicLongArray arrivalsPerSecond;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong arrived = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong ackedInWindow = new AtomicLong();
  private final AtomicLong arrivedInWindow = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();

  /**
   * @param seriesSeconds how many seconds from {@code start} the per-second series covers; arrivals
   *     later than that still count, but not in the series
   */
  PhaseRecorder(int phase, int devices, long start, long warmupNanos, long measureNanos, int seriesSeconds) {
    this.phase = phase;
    this.start = start;
    this.measureFrom = start + warmupNanos;
    this.end = measureFrom + measureNanos;
    this.ledgers = new Ledger[devices];
    for (int i = 0; i < devices; i++) {
      ledgers[i] = new Ledger();
    }
    this.arrivalsPerSecond = new AtomicLongArray(seriesSeconds);
  }

  int phase() {
    return phase;
  }

  long start() {
    return start;
  }

  long measureFrom() {
    return measureFrom;
  }

  long end() {
    return end;
  }

  void sent() {
    sent.incrementAndGet();
  }

  void acked(int device, long sequence, long nowNanos) {
    ledgers[device].acked(sequence);
    acked.incrementAndGet();
    if (nowNanos >= measureFrom && nowNanos < end) {
      ackedInWindow.incrementAndGet();
    }
  }

  void failed(Throwable error) {
    failed.incrementAndGet();
    firstError.compareAndSet(null, String.valueOf(error));
  }

  /**
   * A message of this phase arrived at the upstream at {@code nowNanos}.
   *
   * @return false when the stamp names no device or sequence of this phase (it is not counted)
   */
  boolean arrived(Payload.Stamp stamp, long nowNanos) {
    if (stamp.device() < 0 || stamp.device() >= ledgers.length || stamp.sequence() < 0
        || stamp.sequence() > Integer.MAX_VALUE - 1) {
      return false;
    }
    if (!ledgers[stamp.device()].arrived(stamp.sequence())) {
      duplicates.incrementAndGet();
      return true;
    }
    arrived.incrementAndGet();
    long second = (nowNanos - start) / 1_000_000_000L;
    if (second >= 0 && second < arrivalsPerSecond.length()) {
      arrivalsPerSecond.incrementAndGet((int) second);
    }
    if (nowNanos >= measureFrom && nowNanos < end) {
      arrivedInWindow.incrementAndGet();
    }
    if (stamp.intendedNanos() >= measureFrom && stamp.intendedNanos() < end) {
      long micros = Math.max(0, (nowNanos - stamp.intendedNanos()) / 1000);
      latencyMicros.recordValue(Math.min(micros, MAX_LATENCY_MICROS));
    }
    return true;
  }

  long sentCount() {
    return sent.get();
  }

  long ackedCount() {
    return acked.get();
  }

  long failedCount() {
    return failed.get();
  }

  long arrivedCount() {
    return arrived.get();
  }

  long duplicateCount() {
    return duplicates.get();
  }

  long ackedInWindow() {
    return ackedInWindow.get();
  }

  long arrivedInWindow() {
    return arrivedInWindow.get();
  }

  /** Sent and neither acknowledged nor failed yet. */
  long outstanding() {
    return sent.get() - acked.get() - failed.get();
  }

  /** Acknowledged to their devices and not (yet) arrived upstream. */
  long missing() {
    long n = 0;
    for (Ledger l : ledgers) {
      n += l.missing();
    }
    return n;
  }

  String firstError() {
    return firstError.get();
  }

  /** A copy of the latency histogram (microseconds). */
  Histogram latencyMicros() {
    return latencyMicros.copy();
  }

  long[] arrivalsPerSecond() {
    long[] out = new long[arrivalsPerSecond.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arrivalsPerSecond.get(i);
    }
    return out;
  }

  /** One device's sequences: acknowledged, and arrived upstream. */
  private static final class Ledger {
    private final BitSet acked = new BitSet();
    private final BitSet arrived = new BitSet();

    synchronized void acked(long sequence) {
      acked.set((int) sequence);
    }

    /** False when it had arrived already. */
    synchronized boolean arrived(long sequence) {
      int s = (int) sequence;
      if (arrived.get(s)) {
        return false;
      }
      arrived.set(s);
      return true;
    }

    synchronized long missing() {
      BitSet m = (BitSet) acked.clone();
      m.andNot(arrived);
      return m.cardinality();
    }
  }
}

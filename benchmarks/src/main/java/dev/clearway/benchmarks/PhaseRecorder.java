package dev.clearway.benchmarks;

import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
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
 * arrives upstream is lost; one that arrives twice is a duplicate (allowed by QoS 1, counted). The
 * time from the intended send to the PUBACK is recorded apart: the part of the latency the system
 * under test spends before it acknowledges (for the gateway: until the message is stored).
 *
 * <p>A message is <em>complete</em> once it is both acknowledged and arrived; the closed loop's
 * end-to-end window counts the messages not complete yet ({@link #onCompletion}).
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
  private final ConcurrentHistogram ackLatencyMicros = new ConcurrentHistogram(MAX_LATENCY_MICROS, 3);
  private final AtomicLongArray arrivalsPerSecond;
  /** The longest latency of the messages that arrived in each second (microseconds): where the tail sits in time. */
  private final AtomicLongArray maxLatencyPerSecond;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong arrived = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong ackedInWindow = new AtomicLong();
  private final AtomicLong arrivedInWindow = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private volatile IntConsumer completions = device -> { };

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
    this.maxLatencyPerSecond = new AtomicLongArray(seriesSeconds);
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

  /** Called with the device's index whenever one of its messages becomes complete (acknowledged and arrived). */
  void onCompletion(IntConsumer listener) {
    this.completions = listener;
  }

  void sent() {
    sent.incrementAndGet();
  }

  /** The device got the PUBACK of a message it meant to send at {@code intendedNanos}. */
  void acked(int device, long sequence, long intendedNanos, long nowNanos) {
    boolean complete = ledgers[device].acked(sequence);
    acked.incrementAndGet();
    if (nowNanos >= measureFrom && nowNanos < end) {
      ackedInWindow.incrementAndGet();
    }
    if (intendedNanos >= measureFrom && intendedNanos < end) {
      ackLatencyMicros.recordValue(Math.min(Math.max(0, (nowNanos - intendedNanos) / 1000), MAX_LATENCY_MICROS));
    }
    if (complete) {
      completions.accept(device);
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
    Arrival arrival = ledgers[stamp.device()].arrived(stamp.sequence());
    if (arrival == Arrival.REPEAT) {
      duplicates.incrementAndGet();
      return true;
    }
    arrived.incrementAndGet();
    long second = (nowNanos - start) / 1_000_000_000L;
    long micros = Math.min(Math.max(0, (nowNanos - stamp.intendedNanos()) / 1000), MAX_LATENCY_MICROS);
    if (second >= 0 && second < arrivalsPerSecond.length()) {
      arrivalsPerSecond.incrementAndGet((int) second);
      maxLatencyPerSecond.accumulateAndGet((int) second, micros, Math::max);
    }
    if (nowNanos >= measureFrom && nowNanos < end) {
      arrivedInWindow.incrementAndGet();
    }
    if (stamp.intendedNanos() >= measureFrom && stamp.intendedNanos() < end) {
      latencyMicros.recordValue(micros);
    }
    if (arrival == Arrival.COMPLETING) {
      completions.accept(stamp.device());
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

  /** A copy of the histogram of send-to-PUBACK times (microseconds), for the messages intended within the window. */
  Histogram ackLatencyMicros() {
    return ackLatencyMicros.copy();
  }

  /** Per second of the phase: the longest latency (microseconds) of the messages that arrived in it, 0 when none did. */
  long[] maxLatencyPerSecond() {
    long[] out = new long[maxLatencyPerSecond.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = maxLatencyPerSecond.get(i);
    }
    return out;
  }

  long[] arrivalsPerSecond() {
    long[] out = new long[arrivalsPerSecond.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arrivalsPerSecond.get(i);
    }
    return out;
  }

  /** What an arrival was: a repeat, the first before the PUBACK, or the first after it (the message is complete). */
  private enum Arrival { REPEAT, BEFORE_ACK, COMPLETING }

  /** One device's sequences: acknowledged, and arrived upstream. */
  private static final class Ledger {
    private final BitSet acked = new BitSet();
    private final BitSet arrived = new BitSet();

    /** True when the message had arrived already: it is complete now. */
    synchronized boolean acked(long sequence) {
      int s = (int) sequence;
      boolean complete = !acked.get(s) && arrived.get(s);
      acked.set(s);
      return complete;
    }

    synchronized Arrival arrived(long sequence) {
      int s = (int) sequence;
      if (arrived.get(s)) {
        return Arrival.REPEAT;
      }
      arrived.set(s);
      return acked.get(s) ? Arrival.COMPLETING : Arrival.BEFORE_ACK;
    }

    synchronized long missing() {
      BitSet m = (BitSet) acked.clone();
      m.andNot(arrived);
      return m.cardinality();
    }
  }
}

package dev.clearway.actors.demo;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Follows every message of the run, so the demo can say that none the gateway acknowledged was
 * lost: each one must end up dropped by the route or received at the hub.
 *
 * <p>Per device, a ring of one flag byte per message from the oldest one not yet accounted for
 * ({@code base}) to the next to send. A message is settled when the gateway acknowledged it and
 * then the route dropped it or the hub received it, or when its publish failed (it was never
 * acknowledged, so it cannot be lost); the ring moves past settled messages. A device whose ring is
 * full sends nothing more until its oldest message settles, so memory stays at {@code
 * maxTrackedMessages} bytes whatever the rate and duration.
 *
 * <p>Thread-safe: devices' acknowledgements, the router and the hub report from their own threads;
 * each device's ring has its own lock.
 */
final class Ledger {
  private static final byte SENT = 1;
  private static final byte ACKED = 2;
  private static final byte FAILED = 4;
  private static final byte DROPPED = 8;
  private static final byte AT_HUB = 16;

  private final Track[] tracks;
  private final Map<String, Track> byDevice = new HashMap<>();

  /** One device's messages; every field is guarded by the track itself. */
  private static final class Track {
    final byte[] ring;
    long base;
    long next;
    final Outcomes passed = new Outcomes(); // of the settled messages the ring moved past
    long duplicatesAtHub;

    Track(int size) {
      ring = new byte[size];
    }

    int slot(long seq) {
      return (int) (seq % ring.length);
    }
  }

  /** Counts of messages by what became of them. */
  private static final class Outcomes {
    long acked;
    long failed;
    long dropped;
    long atHub;
    long awaitingAck;
    long lost;

    void count(byte flags) {
      if ((flags & ACKED) != 0) {
        acked++;
      }
      if ((flags & FAILED) != 0) {
        failed++;
      } else if ((flags & ACKED) == 0) {
        awaitingAck++;
      } else if ((flags & DROPPED) != 0) {
        dropped++;
      } else if ((flags & AT_HUB) != 0) {
        atHub++;
      } else {
        lost++;
      }
    }

    void add(Outcomes o) {
      acked += o.acked;
      failed += o.failed;
      dropped += o.dropped;
      atHub += o.atHub;
      awaitingAck += o.awaitingAck;
      lost += o.lost;
    }
  }

  /**
   * What became of the messages sent, over all devices. {@code acked = dropped + atHub + lost}.
   *
   * @param acked acknowledged by the gateway (PUBACK)
   * @param failed never acknowledged: the publish failed
   * @param awaitingAck sent, and neither acknowledged nor failed yet
   * @param dropped acknowledged, then matched by no route
   * @param atHub acknowledged, then received at the hub
   * @param lost acknowledged, yet neither dropped by the route nor received at the hub (yet)
   * @param duplicatesAtHub second and later arrivals at the hub of a message
   */
  record Totals(long sent, long acked, long failed, long awaitingAck, long dropped, long atHub, long lost, long duplicatesAtHub) {}

  /** @param maxTrackedMessages shared equally by the devices (at least 1 each) */
  Ledger(List<String> deviceIds, int maxTrackedMessages) {
    int perDevice = Math.max(1, maxTrackedMessages / deviceIds.size());
    tracks = new Track[deviceIds.size()];
    for (int i = 0; i < tracks.length; i++) {
      tracks[i] = new Track(perDevice);
      byDevice.put(deviceIds.get(i), tracks[i]);
    }
  }

  /** The sequence number of device {@code device}'s next message, or empty when its ring is full. */
  OptionalLong reserve(int device) {
    Track t = tracks[device];
    synchronized (t) {
      if (t.next - t.base >= t.ring.length) {
        return OptionalLong.empty();
      }
      t.ring[t.slot(t.next)] = SENT;
      return OptionalLong.of(t.next++);
    }
  }

  /** The gateway acknowledged (PUBACK) the message. */
  void acknowledged(int device, long seq) {
    mark(tracks[device], seq, ACKED);
  }

  /** The publish failed: no PUBACK came (the connection was lost). Never acknowledged, so never lost. */
  void failed(int device, long seq) {
    mark(tracks[device], seq, FAILED);
  }

  /** The gateway's router matched no route for the message. */
  void droppedByRoute(String deviceId, long seq) {
    Track t = byDevice.get(deviceId);
    if (t != null) {
      mark(t, seq, DROPPED);
    }
  }

  /**
   * The hub received the message. Returns true for its first arrival; false for a duplicate (the
   * at-least-once uplink may send a message twice) or a message this run did not send.
   */
  boolean receivedAtHub(String deviceId, long seq) {
    Track t = byDevice.get(deviceId);
    if (t == null) {
      return false;
    }
    synchronized (t) {
      if (seq >= t.next || seq < 0) {
        return false;
      }
      if (seq < t.base || (t.ring[t.slot(seq)] & AT_HUB) != 0) {
        t.duplicatesAtHub++;
        return false;
      }
      return mark(t, seq, AT_HUB);
    }
  }

  /** Sets a flag on a message still followed; counts it and moves the ring past settled messages. */
  private static boolean mark(Track t, long seq, byte flag) {
    synchronized (t) {
      if (seq < t.base || seq >= t.next) {
        return false;
      }
      int slot = t.slot(seq);
      if ((t.ring[slot] & flag) != 0) {
        return false;
      }
      t.ring[slot] |= flag;
      while (t.base < t.next && settled(t.ring[t.slot(t.base)])) {
        t.passed.count(t.ring[t.slot(t.base)]);
        t.ring[t.slot(t.base)] = 0;
        t.base++;
      }
      return true;
    }
  }

  private static boolean settled(byte flags) {
    return (flags & FAILED) != 0 || ((flags & ACKED) != 0 && (flags & (DROPPED | AT_HUB)) != 0);
  }

  /** Whether every message sent is settled: nothing waits for a PUBACK, the route or the hub. */
  boolean allSettled() {
    for (Track t : tracks) {
      synchronized (t) {
        if (t.base < t.next) {
          return false;
        }
      }
    }
    return true;
  }

  Totals totals() {
    long sent = 0;
    long duplicates = 0;
    Outcomes all = new Outcomes();
    for (Track t : tracks) {
      synchronized (t) {
        sent += t.next;
        duplicates += t.duplicatesAtHub;
        all.add(t.passed);
        for (long seq = t.base; seq < t.next; seq++) {
          all.count(t.ring[t.slot(seq)]);
        }
      }
    }
    return new Totals(sent, all.acked, all.failed, all.awaitingAck, all.dropped, all.atHub, all.lost, duplicates);
  }
}

package dev.clearway.actors.upstream;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the gateway reaches the hub, as the rest of the gateway (metrics, health, the command
 * line) observes it. Written only by the {@link UpstreamSink}; read from anywhere.
 */
public final class UpstreamStatus {

  /** The uplink's connectivity. */
  public enum Connectivity {
    /** Nothing has been tried yet (no identity had traffic or a connection). */
    UNKNOWN,
    /** At least one identity's connection to the hub is up. */
    ONLINE,
    /** The hub could not be reached (or dropped every connection); messages wait in the store. */
    OFFLINE,
    /** There is no uplink: clearway.hub.hostname is not set. */
    DISABLED
  }

  private record Snapshot(Connectivity connectivity, Instant since, long offlineEpisodes, Duration offlineTotal) {}

  private final AtomicReference<Snapshot> state;

  public UpstreamStatus(Connectivity initial, Instant now) {
    state = new AtomicReference<>(new Snapshot(initial, now, 0, Duration.ZERO));
  }

  public Connectivity connectivity() {
    return state.get().connectivity();
  }

  /** Since when the current connectivity holds. */
  public Instant since() {
    return state.get().since();
  }

  /** How many times the uplink went offline. */
  public long offlineEpisodes() {
    return state.get().offlineEpisodes();
  }

  /** Time spent offline, finished episodes plus the current one up to {@code now}. */
  public Duration offlineDuration(Instant now) {
    Snapshot s = state.get();
    return s.connectivity() == Connectivity.OFFLINE ? s.offlineTotal().plus(Duration.between(s.since(), now)) : s.offlineTotal();
  }

  /** Moves to {@code next}; returns false when it already held. */
  boolean moveTo(Connectivity next, Instant now) {
    Snapshot s = state.get();
    if (s.connectivity() == next) {
      return false;
    }
    Duration total = s.connectivity() == Connectivity.OFFLINE ? s.offlineTotal().plus(Duration.between(s.since(), now)) : s.offlineTotal();
    long episodes = next == Connectivity.OFFLINE ? s.offlineEpisodes() + 1 : s.offlineEpisodes();
    state.set(new Snapshot(next, now, episodes, total));
    return true;
  }
}

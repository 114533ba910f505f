package dev.clearway.actors.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a label's distinct values bounded: the first {@code max} values seen are reported as they
 * are, every later one as {@value #OTHER}. A gateway serves thousands of devices, and each distinct
 * label value is one more time series for every scraper to store; per-device labels must not grow
 * with the fleet. Values are admitted first come, for the life of the process.
 */
final class LabelFolding {
  /** What a value beyond the bound is reported as. */
  static final String OTHER = "other";

  private final int max;
  private final Set<String> admitted = ConcurrentHashMap.newKeySet();

  /** @param max the most distinct values reported as they are (at least 0) */
  LabelFolding(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative, was " + max);
    }
    this.max = max;
  }

  /** {@code value} itself while it is one of the admitted values (or there is room for it), else {@value #OTHER}. */
  String fold(String value) {
    if (admitted.contains(value)) {
      return value;
    }
    if (admitted.size() >= max) {
      return OTHER;
    }
    synchronized (this) {
      // Checked again under the lock: two threads may both have seen room for one last value.
      if (admitted.size() < max) {
        admitted.add(value);
        return value;
      }
    }
    return admitted.contains(value) ? value : OTHER;
  }

  /** How many values are reported as they are. */
  int admitted() {
    return admitted.size();
  }
}

package dev.clearway.actors.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * Reads one settings subtree and checks each value, so a wrong setting stops the start with one
 * line naming the full key and what is wrong with it.
 */
public final class SettingsReader {
  private final Config config;
  private final String path;

  /** Reads the subtree at {@code path}, e.g. {@code clearway.mqtt}. */
  public SettingsReader(Config root, String path) {
    this.config = root.getConfig(path);
    this.path = path;
  }

  public Config config() {
    return config;
  }

  /** A whole number within {@code min..max}. */
  public int intIn(String key, int min, int max) {
    int v;
    try {
      v = config.getInt(key);
    } catch (ConfigException.WrongType e) {
      throw invalid(key, "must be a whole number");
    }
    if (v < min || v > max) {
      throw invalid(key, "must be between " + min + " and " + max + ", was " + v);
    }
    return v;
  }

  /** A duration greater than zero. */
  public Duration positiveDuration(String key) {
    return durationIn(key, Duration.ofNanos(1), Duration.ofDays(36_500));
  }

  /** A duration within {@code min..max}. */
  public Duration durationIn(String key, Duration min, Duration max) {
    Duration d;
    try {
      d = config.getDuration(key);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw invalid(key, "must be a duration such as 10s");
    }
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw invalid(key, d.isZero() || d.isNegative() ? "must be positive, was " + d : "must be between " + min + " and " + max + ", was " + d);
    }
    return d;
  }

  /** A size in bytes ({@code 32KiB}) within {@code 1..max}. */
  public int bytesUpTo(String key, int max) {
    long b;
    try {
      b = config.getBytes(key);
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw invalid(key, "must be a size such as 32KiB");
    }
    if (b < 1 || b > max) {
      throw invalid(key, "must be between 1 and " + max + " bytes, was " + b);
    }
    return (int) b;
  }

  private IllegalArgumentException invalid(String key, String problem) {
    return new IllegalArgumentException(path + "." + key + ": " + problem);
  }
}

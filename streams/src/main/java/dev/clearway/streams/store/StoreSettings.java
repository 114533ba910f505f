package dev.clearway.streams.store;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/**
 * The {@code clearway.streams.store} settings; every key is documented in this module's
 * reference.conf.
 *
 * @param sync whether every group commit fsyncs the write-ahead log (survives power loss) or only
 *     writes it to the OS (survives a process crash)
 * @param maxBatchMessages the most messages one write batch carries
 * @param maxBatchBytes the most bytes one write batch carries (a larger single message still goes)
 * @param maxPendingAppends appends that may wait for the writer before {@code append} blocks
 * @param maxPendingOperations acknowledgements and cleanup steps that may wait for the writer
 * @param maxSize the bytes of live data at which appends wait for space
 * @param cleanupInterval how often the cleanup runs
 * @param syncDelay with {@code sync}: how long a write batch waits for more appends to share its fsync
 */
public record StoreSettings(
    boolean sync,
    int maxBatchMessages,
    long maxBatchBytes,
    int maxPendingAppends,
    int maxPendingOperations,
    long maxSize,
    Duration cleanupInterval,
    Duration syncDelay) {

  /** The config subtree these settings are read from. */
  public static final String PATH = "clearway.streams.store";

  private static final long KIB = 1024;
  private static final long PIB = KIB * KIB * KIB * KIB * KIB;

  public StoreSettings {
    check("max-batch-messages", maxBatchMessages, 1, 65_536, "messages");
    check("max-batch-bytes", maxBatchBytes, KIB, KIB * KIB * KIB, "bytes");
    check("max-pending-appends", maxPendingAppends, 1, 1_048_576, "appends");
    check("max-pending-operations", maxPendingOperations, 1, 1_048_576, "operations");
    check("max-size", maxSize, KIB, PIB, "bytes");
    if (cleanupInterval.compareTo(Duration.ofSeconds(1)) < 0 || cleanupInterval.compareTo(Duration.ofDays(7)) > 0) {
      throw new StoreSettingsException("cleanup-interval", cleanupInterval + " is outside 1s .. 7d");
    }
    if (syncDelay.isNegative() || syncDelay.compareTo(Duration.ofMillis(100)) > 0) {
      throw new StoreSettingsException("sync-delay", syncDelay + " is outside 0 .. 100ms");
    }
  }

  /** Reads {@code clearway.streams.store} from a resolved configuration that includes reference.conf. */
  public static StoreSettings create(Config root) {
    Config c = root.getConfig(PATH);
    return new StoreSettings(
        read("sync", () -> c.getBoolean("sync"), "must be true or false"),
        read("max-batch-messages", () -> c.getInt("max-batch-messages"), "must be a whole number of messages"),
        read("max-batch-bytes", () -> c.getBytes("max-batch-bytes"), "must be a size such as 4MiB"),
        read("max-pending-appends", () -> c.getInt("max-pending-appends"), "must be a whole number of appends"),
        read("max-pending-operations", () -> c.getInt("max-pending-operations"), "must be a whole number of operations"),
        read("max-size", () -> c.getBytes("max-size"), "must be a size such as 2GiB"),
        read("cleanup-interval", () -> c.getDuration("cleanup-interval"), "must be a duration such as 5m"),
        read("sync-delay", () -> c.getDuration("sync-delay"), "must be a duration such as 500us"));
  }

  /** These settings with another {@code sync}. */
  public StoreSettings withSync(boolean newSync) {
    return new StoreSettings(newSync, maxBatchMessages, maxBatchBytes, maxPendingAppends, maxPendingOperations, maxSize, cleanupInterval,
        syncDelay);
  }

  /** These settings with another {@code max-size}. */
  public StoreSettings withMaxSize(long newMaxSize) {
    return new StoreSettings(sync, maxBatchMessages, maxBatchBytes, maxPendingAppends, maxPendingOperations, newMaxSize, cleanupInterval,
        syncDelay);
  }

  private interface Reader<T> {
    T read();
  }

  private static <T> T read(String key, Reader<T> reader, String problem) {
    try {
      return reader.read();
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw new StoreSettingsException(key, problem);
    } catch (ConfigException.Missing e) {
      throw new StoreSettingsException(key, "is missing");
    }
  }

  private static void check(String key, long value, long min, long max, String unit) {
    if (value < min || value > max) {
      throw new StoreSettingsException(key, value + " " + unit + " is outside " + min + " .. " + max);
    }
  }

  /** A wrong {@code clearway.streams.store} setting; the message is one line naming the key. */
  public static final class StoreSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreSettingsException(String key, String problem) {
      super(PATH + "." + key + ": " + problem);
    }
  }
}

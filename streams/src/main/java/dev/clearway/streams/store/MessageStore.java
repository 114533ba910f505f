package dev.clearway.streams.store;

import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.RouteSpec;
import dev.clearway.routes.RoutedEndpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Predicate;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompactRangeOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable store-and-forward store: each message is stored once, and each endpoint has one queue
 * per priority holding references to it, each with its own expiry.
 *
 * <h2>On disk (RocksDB, one directory)</h2>
 * <ul>
 *   <li>column family {@code messages}: key = sequence (8 bytes, big-endian); value = the message
 *       record ({@link MessageCodec}: versioned, checksummed).
 *   <li>column family {@code refs}: key = endpoint length (2 bytes), endpoint (a kind byte, then
 *       module id and input for a module input), priority (1 byte), sequence (8 bytes); value =
 *       enqueued-at and expires-at (epoch millis, 8 bytes each; {@code Long.MAX_VALUE} = never).
 *       Keys sort bytewise, so one queue is one contiguous range, oldest first.
 *   <li>column family {@code default}: {@code next-sequence} (8 bytes), written with every append
 *       batch, so a sequence number is never reused, even after every message was deleted.
 * </ul>
 * A message and all its references are written in one {@link WriteBatch}, and a message is deleted
 * in the same batch as its last reference, so the two families never disagree after a crash.
 *
 * <h2>Writes</h2>
 * One writer thread owns every write: appends wait in a bounded queue ({@code max-pending-appends}),
 * acknowledgements, expiries and cleanup steps in another ({@code max-pending-operations}); the writer
 * collects as many as fit ({@code max-batch-messages}, {@code max-batch-bytes}) into one write batch
 * and one RocksDB write (group commit), fsynced or not per {@code sync}, and only then completes
 * them. The writer also keeps an in-memory index (sequence → the queues still referring to it, and
 * its size), rebuilt from disk on open; it is what tells the last reference of a message, and it
 * makes a repeated acknowledgement harmless. Its memory (some 100 bytes per live message) is
 * bounded through {@code max-size}, which bounds the number of live messages.
 *
 * <h2>Size limit</h2>
 * {@code max-size} bounds the live data as the writer counts it (record bytes plus reference
 * entries), not the files RocksDB reports: the count drops the moment an acknowledgement is written,
 * so backpressure lifts deterministically, while file sizes only drop after compaction. At the limit
 * appends stay queued (nothing is dropped) until acknowledgements, expiries or the cleanup free
 * space; one line is logged when the store becomes full and one when it resumes.
 *
 * <h2>Reads</h2>
 * {@link #next} reads one endpoint's queues from a snapshot, highest priority first, FIFO within a
 * priority; it removes (through the writer) and counts references that expired, and skips, logs and
 * deletes records that do not decode. Reads run on the caller's thread, concurrently with the writer.
 *
 * <p>The stages that {@link #append} and {@link #acknowledge} return complete on the writer thread:
 * a continuation must not block (above all, not wait for another store operation, which would wait
 * for the writer it runs on); hand heavy work to an executor with the {@code ...Async} variants.
 */
public final class MessageStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MessageStore.class);

  private static final byte[] MESSAGES_CF = "messages".getBytes(StandardCharsets.UTF_8);
  private static final byte[] REFS_CF = "refs".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NEXT_SEQUENCE = "next-sequence".getBytes(StandardCharsets.UTF_8);
  static final int LOWEST_PRIORITY = RouteSpec.BARE_PRIORITY;
  // How long the idle writer sleeps before re-checking for close; work wakes it at once.
  private static final long IDLE_WAIT_MILLIS = 200;

  static {
    RocksDB.loadLibrary();
  }

  private final StoreSettings settings;
  private final Clock clock;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final WriteOptions writeOptions;
  /**
   * For a write that appends nothing (acknowledgements, expiries, cleanup): never fsynced on its
   * own. Losing one to a power cut only means messages sent again (at least once); it becomes
   * durable with the next synced write, since the write-ahead log is written in order.
   */
  private final WriteOptions removalOptions;
  private final RocksDB db;
  private final ColumnFamilyHandle defaultCf;
  private final ColumnFamilyHandle messagesCf;
  private final ColumnFamilyHandle refsCf;
  private final List<ColumnFamilyHandle> handles;

  private final BlockingQueue<AppendOp> appends;
  private final BlockingQueue<Op> operations;
  // One permit per offered piece of work: the writer sleeps on it when it has nothing to do.
  private final Semaphore work = new Semaphore(0);
  private final Thread writer;
  private final ScheduledExecutorService cleanupTimer;
  // Readers hold the read lock; close takes the write lock so no native handle is used after close.
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private volatile boolean closing;

  // Owned by the writer thread only (and by the constructor before it starts).
  private final TreeMap<Long, Live> index = new TreeMap<>();
  private long nextSequence;
  private boolean full;
  private long fullSince;

  // Metrics, written by the writer, read by anyone.
  private final ConcurrentHashMap<QueueId, AtomicLong> queueLengths = new ConcurrentHashMap<>();
  private final AtomicLong liveBytes = new AtomicLong();
  private final AtomicLong liveMessages = new AtomicLong();
  private final AtomicLong appended = new AtomicLong();
  private final AtomicLong ttlExpired = new AtomicLong();
  private final AtomicLong corruptRecords = new AtomicLong();
  private final AtomicLong writeBatches = new AtomicLong();
  private volatile boolean fullGauge;

  /**
   * Per queue, a sequence at or below its oldest live reference: reads seek to it instead of to the
   * queue's start, so they do not step over the tombstones of everything acknowledged before (a
   * RocksDB queue's classic slowdown until compaction). Learnt from the head a read finds (safe
   * because the writer assigns sequences in order and writes batches in order: a reference below
   * one a snapshot shows, and not shown itself, was deleted, and deleted references never return),
   * and moved on by the writer when it removes the reference the floor is at ({@link #moveFloors}),
   * so it follows the acknowledgements even while the only reader reads on with a cursor.
   */
  private final ConcurrentHashMap<QueueId, Long> readFloor = new ConcurrentHashMap<>();

  /** A stored message the writer knows of: its record size and the queues still referring to it. */
  private static final class Live {
    int messageBytes;
    final List<QueueId> queues = new ArrayList<>(2);
  }

  private MessageStore(Path directory, StoreSettings settings, Clock clock) throws RocksDBException {
    this.settings = settings;
    this.clock = clock;
    this.appends = new ArrayBlockingQueue<>(settings.maxPendingAppends());
    this.operations = new ArrayBlockingQueue<>(settings.maxPendingOperations());
    try {
      Files.createDirectories(directory);
    } catch (java.io.IOException e) {
      throw new RocksDBException("cannot create the store directory " + directory + ": " + e.getMessage());
    }
    dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        // RocksDB's own info log: bounded to a few files of a few MB.
        .setKeepLogFileNum(3)
        .setMaxLogFileSize(8L * 1024 * 1024);
    cfOptions = new ColumnFamilyOptions();
    // sync = false still writes the WAL (never disableWAL): what makes a process crash harmless.
    writeOptions = new WriteOptions().setSync(settings.sync());
    removalOptions = new WriteOptions().setSync(false);
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(MESSAGES_CF, cfOptions),
        new ColumnFamilyDescriptor(REFS_CF, cfOptions));
    handles = new ArrayList<>();
    RocksDB opened = null;
    try {
      opened = RocksDB.open(dbOptions, directory.toString(), descriptors, handles);
      db = opened;
      defaultCf = handles.get(0);
      messagesCf = handles.get(1);
      refsCf = handles.get(2);
      rebuildIndex();
    } catch (RocksDBException | RuntimeException e) {
      // Nothing is running yet: release the native handles so a failed open leaks nothing.
      handles.forEach(ColumnFamilyHandle::close);
      if (opened != null) {
        opened.close();
      }
      writeOptions.close();
      removalOptions.close();
      cfOptions.close();
      dbOptions.close();
      throw e;
    }
    writer = new Thread(this::runWriter, "clearway-store-writer");
    writer.setDaemon(true);
    writer.start();
    cleanupTimer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "clearway-store-cleanup");
      t.setDaemon(true);
      return t;
    });
    long every = settings.cleanupInterval().toMillis();
    cleanupTimer.scheduleWithFixedDelay(this::scheduledCleanup, every, every, TimeUnit.MILLISECONDS);
  }

  /** Opens (or creates) the store in {@code directory}, with the system clock. */
  public static MessageStore open(Path directory, StoreSettings settings) {
    return open(directory, settings, Clock.systemUTC());
  }

  /**
   * Opens (or creates) the store in {@code directory}; {@code clock} decides enqueue times and
   * expiry. Unacknowledged messages of an earlier run come back in their order.
   *
   * @throws StoreException when RocksDB cannot open the directory
   */
  public static MessageStore open(Path directory, StoreSettings settings, Clock clock) {
    try {
      return new MessageStore(directory, settings, clock);
    } catch (RocksDBException e) {
      throw new StoreException("cannot open the store at " + directory + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Appending

  /**
   * Stores {@code message} once, with one reference in each endpoint's queue for its priority. The
   * stage completes when the write is durable per {@code sync}; only then may the device be
   * acknowledged. An endpoint listed twice is stored once, at its highest priority. A message with no
   * endpoint is not stored: the stage completes at once with {@link StoredRef#NOT_STORED}.
   *
   * <p>When {@code max-pending-appends} appends already wait, this blocks the caller until one is
   * taken. When the store is full, the stage completes only after space was freed.
   */
  public CompletionStage<StoredRef> append(Message message, List<RoutedEndpoint> endpoints) {
    if (endpoints.isEmpty()) {
      return CompletableFuture.completedFuture(StoredRef.NOT_STORED);
    }
    // One reference per endpoint: a message must not be delivered twice to the same place.
    Map<Endpoint, RoutedEndpoint> targets = new LinkedHashMap<>();
    for (RoutedEndpoint e : endpoints) {
      if (e.priority() < 0 || e.priority() > LOWEST_PRIORITY) {
        throw new IllegalArgumentException("priority " + e.priority() + " is outside 0 .. " + LOWEST_PRIORITY);
      }
      targets.merge(e.endpoint(), e, (a, b) -> b.priority() < a.priority() ? b : a);
    }
    long now = clock.millis();
    // Encoding happens on the caller's thread, so the single writer only writes.
    byte[] record = MessageCodec.encode(message);
    List<Target> refs = new ArrayList<>(targets.size());
    long bytes = record.length;
    for (RoutedEndpoint e : targets.values()) {
      long expiresAt = e.forever() ? Keys.NEVER : saturatedAdd(now, e.timeToLive().toMillis());
      Target t = new Target(new QueueId(e.endpoint(), e.priority()), Keys.refValue(now, expiresAt));
      refs.add(t);
      bytes += refBytes(t.queue());
    }
    AppendOp op = new AppendOp(record, refs, bytes, new CompletableFuture<>());
    if (!offer(appends, op)) {
      op.done().completeExceptionally(new StoreException("the store is closed"));
    }
    return op.done();
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Keys.NEVER : r;
  }

  /** The live bytes one reference entry counts for: its key and its value. */
  private static long refBytes(QueueId q) {
    return Keys.queuePrefix(q.endpoint(), q.priority()).length + 8L + Keys.REF_VALUE_LENGTH;
  }

  // Blocks while the queue is full (the documented backpressure), giving up only when the store closes.
  private <T> boolean offer(BlockingQueue<T> queue, T item) {
    try {
      while (!closing) {
        if (queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
          // Closed meanwhile: whoever takes it back out fails it (close drains what the writer left).
          if (closing && queue.remove(item)) {
            return false;
          }
          work.release();
          return true;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading and acknowledging

  /**
   * The oldest unacknowledged messages for {@code endpoint}, highest priority first and FIFO within a
   * priority: at most {@code maxCount}, and at most {@code maxBytes} of stored records (but always at
   * least one message when there is one, so a large message cannot block the queue). Expired
   * references met on the way are removed and counted ({@code ttl_expiry}); records that do not
   * decode are logged, counted and deleted. Calling again before acknowledging returns the same
   * messages (at-least-once).
   */
  public List<StoredMessage> next(Endpoint endpoint, int maxCount, long maxBytes) {
    return next(endpoint, maxCount, maxBytes, new ReadCursor(), position -> false);
  }

  /**
   * As {@link #next(Endpoint, int, long)}, for a reader that keeps messages in flight: each
   * priority's queue is read on from where {@code cursor} stands (its previous reads), and the
   * references {@code skip} names are passed over without reading their records (after a {@link
   * ReadCursor#rewind()}, the ones still in flight). The cursor moves over every reference examined.
   * The reader's own bound on what it has in flight bounds how many references one call passes over.
   */
  public List<StoredMessage> next(Endpoint endpoint, int maxCount, long maxBytes, ReadCursor cursor, Predicate<Position> skip) {
    List<StoredMessage> out = new ArrayList<>();
    List<Position> expired = new ArrayList<>();
    List<Long> corrupt = new ArrayList<>();
    long now = clock.millis();
    long bytes = 0;
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      // One snapshot: the references and the records they point to are read as of one moment.
      Snapshot snapshot = db.getSnapshot();
      try (ReadOptions ro = new ReadOptions().setSnapshot(snapshot)) {
        queues:
        for (int priority = 0; priority <= LOWEST_PRIORITY && out.size() < maxCount; priority++) {
          byte[] prefix = Keys.queuePrefix(endpoint, priority);
          QueueId queue = new QueueId(endpoint, priority);
          boolean first = true;
          OptionalLong after = cursor.after(priority);
          try (QueueIterator qi = queueIterator(queue, snapshot)) {
            RocksIterator it = qi.iterator();
            if (after.isPresent()) {
              it.seek(Keys.ref(endpoint, priority, after.getAsLong() + 1));
              first = false; // the floor is only learnt from the queue's head
            } else {
              seek(it, queue, prefix);
            }
            for (; it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
              long sequence = Keys.sequenceOfRef(it.key());
              if (first) {
                readFloor.merge(queue, sequence, Math::max);
                first = false;
              }
              if (Keys.expiresAt(it.value()) <= now) {
                expired.add(new Position(priority, sequence));
                if (expired.size() >= settings.maxBatchMessages()) {
                  // Bounded: a long run of expired references is removed in batch-sized pieces.
                  remove(new RemoveOp(endpoint, List.copyOf(expired), Reason.EXPIRED, new CompletableFuture<>()));
                  expired.clear();
                }
                cursor.passed(priority, sequence);
                continue;
              }
              if (skip.test(new Position(priority, sequence))) {
                cursor.passed(priority, sequence);
                continue;
              }
              byte[] record = db.get(messagesCf, ro, Keys.message(sequence));
              if (record == null) {
                cursor.passed(priority, sequence);
                continue; // a reference without its record cannot be written by this store; skip it
              }
              if (!out.isEmpty() && bytes + record.length > maxBytes) {
                break queues; // left for the next read: the cursor stays before it
              }
              cursor.passed(priority, sequence);
              try {
                Message m = MessageCodec.decode(record);
                long expiresAt = Keys.expiresAt(it.value());
                out.add(new StoredMessage(new Position(priority, sequence), m, Instant.ofEpochMilli(Keys.enqueuedAt(it.value())),
                    expiresAt == Keys.NEVER ? Instant.MAX : Instant.ofEpochMilli(expiresAt), record.length));
                bytes += record.length;
              } catch (MessageCodec.CorruptRecordException e) {
                log.warn("Store: skipping corrupted message record {} for {}: {}", sequence, endpoint.sinkText(), e.getMessage());
                corrupt.add(sequence);
              }
              if (out.size() >= maxCount) {
                break queues;
              }
            }
          }
        }
      } finally {
        db.releaseSnapshot(snapshot);
      }
    } catch (RocksDBException e) {
      throw new StoreException("cannot read " + endpoint.sinkText() + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
    // Wait for the removals, so that the counters are exact and the next read does not meet them again.
    if (!expired.isEmpty()) {
      remove(new RemoveOp(endpoint, expired, Reason.EXPIRED, new CompletableFuture<>()));
    }
    if (!corrupt.isEmpty()) {
      List<Position> positions = corrupt.stream().map(s -> new Position(-1, s)).toList();
      remove(new RemoveOp(endpoint, positions, Reason.CORRUPT, new CompletableFuture<>()));
    }
    return out;
  }

  /**
   * An iterator over one queue's references that ends at the queue's end: with the bound, RocksDB
   * stops there instead of stepping over whatever deleted references follow (those of the next
   * queue), which would make reading an empty queue as slow as that queue's uncompacted past.
   */
  private QueueIterator queueIterator(QueueId queue, Snapshot snapshot) {
    Slice upper = new Slice(Keys.queuePrefix(queue.endpoint(), queue.priority() + 1));
    ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
    if (snapshot != null) {
      options.setSnapshot(snapshot);
    }
    return new QueueIterator(db.newIterator(refsCf, options), options, upper);
  }

  private record QueueIterator(RocksIterator iterator, ReadOptions options, Slice upper) implements AutoCloseable {
    @Override
    public void close() {
      iterator.close();
      options.close();
      upper.close();
    }
  }

  /** How many deleted entries RocksDB stepped over on this thread while {@code read} ran (for tests). */
  long deletedEntriesPassedBy(Runnable read) {
    PerfLevel level = db.getPerfLevel();
    db.setPerfLevel(PerfLevel.ENABLE_COUNT);
    try {
      PerfContext perf = db.getPerfContext();
      perf.reset();
      read.run();
      return perf.getInternalDeleteSkippedCount();
    } finally {
      db.setPerfLevel(level);
    }
  }

  private void seek(RocksIterator it, QueueId queue, byte[] prefix) {
    Long floor = readFloor.get(queue);
    it.seek(floor == null ? prefix : Keys.ref(queue.endpoint(), queue.priority(), floor));
  }

  private void remove(RemoveOp op) {
    if (!offer(operations, op)) {
      throw new StoreException("the store is closed");
    }
    op.done().join();
  }

  /**
   * Removes {@code endpoint}'s references at {@code positions}; a message whose last reference goes
   * is deleted in the same write. Acknowledging a position twice, or one that expired, does nothing.
   * The stage completes once the removal is written; {@link #next} reflects it from then on. Blocks
   * while {@code max-pending-operations} operations wait.
   *
   * <p>A busy writer (one waiting its {@code sync-delay} for more appends, say) takes an
   * acknowledgement into the write it makes next, so under load acknowledging costs no write of
   * its own; an idle writer is woken for it. A write that appends nothing is never fsynced on its
   * own: an acknowledgement lost to a power cut means a message sent again.
   */
  public CompletionStage<Void> acknowledge(Endpoint endpoint, List<Position> positions) {
    RemoveOp op = new RemoveOp(endpoint, List.copyOf(positions), Reason.ACKNOWLEDGED, new CompletableFuture<>());
    if (!offer(operations, op)) {
      op.done().completeExceptionally(new StoreException("the store is closed"));
    }
    return op.done();
  }

  // ---------------------------------------------------------------------------------------------
  // Twins

  /**
   * Keeps {@code document} as the latest state of {@code identity}'s twin (what the gateway has seen
   * from the hub, and what devices reported offline), so it survives a restart. One small document
   * per identity, outside the size limit; written at once, with the store's sync setting.
   */
  public void putTwin(String identity, byte[] document) {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      db.put(defaultCf, writeOptions, twinKey(identity), document);
    } catch (RocksDBException e) {
      throw new StoreException("cannot keep the twin of " + identity + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** The twin document last kept for {@code identity}, if any. */
  public Optional<byte[]> twin(String identity) {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      return Optional.ofNullable(db.get(defaultCf, twinKey(identity)));
    } catch (RocksDBException e) {
      throw new StoreException("cannot read the twin of " + identity + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private static byte[] twinKey(String identity) {
    return ("twin/" + identity).getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------------
  // Cleanup

  /**
   * Runs the cleanup now (it also runs every {@code cleanup-interval}): removes every expired
   * reference (counted as {@code ttl_expiry}), deletes the range of message records below the
   * oldest one still referred to, flushes and compacts the deleted ranges so their disk space is
   * reclaimed. Returns the number of expired references it removed.
   */
  public synchronized long cleanup() {
    long before = ttlExpired.get();
    Map<Endpoint, List<Position>> expired = new HashMap<>();
    long now = clock.millis();
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      try (RocksIterator it = db.newIterator(refsCf)) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          if (Keys.expiresAt(it.value()) > now) {
            continue;
          }
          QueueId q = Keys.queueOfRef(it.key());
          List<Position> list = expired.computeIfAbsent(q.endpoint(), e -> new ArrayList<>());
          list.add(new Position(q.priority(), Keys.sequenceOfRef(it.key())));
          if (list.size() >= settings.maxBatchMessages()) {
            remove(new RemoveOp(q.endpoint(), List.copyOf(list), Reason.EXPIRED, new CompletableFuture<>()));
            list.clear();
          }
        }
      }
      for (Map.Entry<Endpoint, List<Position>> e : expired.entrySet()) {
        if (!e.getValue().isEmpty()) {
          remove(new RemoveOp(e.getKey(), e.getValue(), Reason.EXPIRED, new CompletableFuture<>()));
        }
      }
      // Everything below the oldest live sequence is garbage: one range tombstone covers it all.
      ReclaimOp reclaim = new ReclaimOp(new CompletableFuture<>());
      if (!offer(operations, reclaim)) {
        throw new StoreException("the store is closed");
      }
      long oldestLive = reclaim.done().join();
      // Tombstones only free space once compaction drops them with the data they cover.
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true);
          CompactRangeOptions compact = new CompactRangeOptions()
              .setBottommostLevelCompaction(CompactRangeOptions.BottommostLevelCompaction.kForce)) {
        db.flush(flush, handles);
        db.compactRange(messagesCf, Keys.message(0), Keys.message(oldestLive), compact);
        db.compactRange(refsCf, null, null, compact);
      }
    } catch (RocksDBException e) {
      throw new StoreException("cleanup failed: " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
    return ttlExpired.get() - before;
  }

  private void scheduledCleanup() {
    try {
      long removed = cleanup();
      log.debug("Store cleanup removed {} expired references", removed);
    } catch (RuntimeException e) {
      // The timer must survive one failed run; the next run tries again.
      if (!closing) {
        log.warn("Store cleanup failed: {}", e.getMessage());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Metrics

  /** Messages stored now (each counted once, however many queues refer to it). */
  public long storedMessages() {
    return liveMessages.get();
  }

  /** Messages appended since open. */
  public long appendedMessages() {
    return appended.get();
  }

  /** Bytes of live data as the size limit counts them (records plus reference entries). */
  public long storedBytes() {
    return liveBytes.get();
  }

  /** References removed because they expired ({@code ttl_expiry}), since open. */
  public long ttlExpired() {
    return ttlExpired.get();
  }

  /** Message records that did not decode and were deleted, since open. */
  public long corruptRecords() {
    return corruptRecords.get();
  }

  /** RocksDB writes (group commits) since open; far fewer than appends under load. */
  public long writeBatches() {
    return writeBatches.get();
  }

  /** Whether the store is open: not yet closed, nor closing. */
  public boolean isOpen() {
    return !closing;
  }

  /** Whether the store is at {@code max-size} and appends wait. */
  public boolean full() {
    return fullGauge;
  }

  /** References in one queue. */
  public long queueLength(Endpoint endpoint, int priority) {
    AtomicLong n = queueLengths.get(new QueueId(endpoint, priority));
    return n == null ? 0 : n.get();
  }

  /** The length of every queue that holds references. */
  public Map<QueueId, Long> queueLengths() {
    Map<QueueId, Long> m = new HashMap<>();
    queueLengths.forEach((q, n) -> {
      if (n.get() > 0) {
        m.put(q, n.get());
      }
    });
    return m;
  }

  /** How long the oldest message waiting for {@code endpoint} (any priority) has waited. */
  public Optional<Duration> oldestAge(Endpoint endpoint) {
    long oldest = Long.MAX_VALUE;
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      for (int priority = 0; priority <= LOWEST_PRIORITY; priority++) {
        byte[] prefix = Keys.queuePrefix(endpoint, priority);
        QueueId queue = new QueueId(endpoint, priority);
        try (QueueIterator qi = queueIterator(queue, null)) {
          RocksIterator it = qi.iterator();
          seek(it, queue, prefix);
          if (it.isValid() && Keys.startsWith(it.key(), prefix)) {
            oldest = Math.min(oldest, Keys.enqueuedAt(it.value()));
            // The queue's head as of this iterator: a reader reading on with a cursor no longer learns it.
            readFloor.merge(queue, Keys.sequenceOfRef(it.key()), Math::max);
          }
        }
      }
    } finally {
      lifecycle.readLock().unlock();
    }
    return oldest == Long.MAX_VALUE ? Optional.empty() : Optional.of(Duration.ofMillis(Math.max(0, clock.millis() - oldest)));
  }

  /** The size of RocksDB's table files ({@code rocksdb.total-sst-files-size}, all column families). */
  public long diskBytes() {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      long total = 0;
      for (ColumnFamilyHandle h : handles) {
        total += db.getLongProperty(h, "rocksdb.total-sst-files-size");
      }
      return total;
    } catch (RocksDBException e) {
      throw new StoreException("cannot read the store size: " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The writer

  private enum Reason { ACKNOWLEDGED, EXPIRED, CORRUPT }

  private sealed interface Op permits AppendOp, RemoveOp, ReclaimOp {}

  private record Target(QueueId queue, byte[] refValue) {}

  private record AppendOp(byte[] record, List<Target> refs, long bytes, CompletableFuture<StoredRef> done) implements Op {}

  /** Removes references; for {@link Reason#CORRUPT} the positions' sequences name records to delete whole. */
  private record RemoveOp(Endpoint endpoint, List<Position> positions, Reason reason, CompletableFuture<Void> done) implements Op {}

  /** Deletes the record range below the oldest live sequence; completes with that sequence. */
  private record ReclaimOp(CompletableFuture<Long> done) implements Op {}

  /** One group commit in the making: the batch and what to complete once it is written. */
  private static final class Batch implements AutoCloseable {
    final WriteBatch write = new WriteBatch();
    final List<Runnable> onWritten = new ArrayList<>();
    final List<CompletableFuture<?>> waiting = new ArrayList<>();
    int messages;
    long bytes;
    boolean wroteSequence;
    /** The queues this batch removes references from; null when none. */
    Set<QueueId> removedFrom;

    @Override
    public void close() {
      write.close();
    }
  }

  private void runWriter() {
    while (!closing) {
      work.drainPermits();
      boolean blocked;
      try (Batch batch = new Batch()) {
        try {
          blocked = collect(batch);
          // Appends close together share one fsync: wait a little for more (sync-delay), without
          // being woken by each of them, then take what came.
          if (!blocked && batch.wroteSequence && settings.sync() && !settings.syncDelay().isZero() && !batchFull(batch)) {
            LockSupport.parkNanos(settings.syncDelay().toNanos());
            work.drainPermits();
            collect(batch);
          }
          if (batch.waiting.isEmpty()) {
            work.tryAcquire(IDLE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            continue;
          }
          if (batch.wroteSequence) {
            batch.write.put(defaultCf, NEXT_SEQUENCE, Keys.message(nextSequence));
          }
          moveFloors(batch);
          db.write(batch.wroteSequence ? writeOptions : removalOptions, batch.write);
          writeBatches.incrementAndGet();
          batch.onWritten.forEach(Runnable::run);
        } catch (RocksDBException | RuntimeException e) {
          failBatch(batch, e);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private boolean batchFull(Batch batch) {
    return batch.messages >= settings.maxBatchMessages() || batch.bytes >= settings.maxBatchBytes();
  }

  /**
   * Adds what waits to the batch, within its bounds: acknowledgements and other operations first
   * (they are what frees space when the store is full), then appends while the size limit allows.
   *
   * @return whether an append waits because the store is full
   */
  private boolean collect(Batch batch) throws RocksDBException {
    Op op;
    while (!batchFull(batch) && (op = operations.poll()) != null) {
      apply(op, batch);
    }
    boolean blocked = false;
    boolean admitted = false;
    while (!batchFull(batch)) {
      AppendOp a = appends.peek();
      if (a == null) {
        break;
      }
      long used = liveBytes.get();
      // At the limit the append stays queued: nothing is dropped, the caller just waits. An
      // empty store takes any message, so one larger than max-size cannot wait forever.
      if (used > 0 && used + a.bytes() > settings.maxSize()) {
        blocked = true;
        break;
      }
      appends.poll();
      apply(a, batch);
      admitted = true;
    }
    updateFull(blocked, admitted);
    return blocked;
  }

  // The index was changed as the batch was built; the write failed, so disk is the truth again.
  private void failBatch(Batch batch, Exception e) {
    log.error("Store: a write of {} operations failed; they are failed, not acknowledged: {}", batch.waiting.size(), e.toString());
    StoreException failure = new StoreException("the store write failed: " + e.getMessage(), e);
    batch.waiting.forEach(f -> f.completeExceptionally(failure));
    try {
      rebuildIndex();
    } catch (RocksDBException | RuntimeException again) {
      log.error("Store: cannot re-read the store after a failed write: {}", again.toString());
    }
  }

  private void updateFull(boolean blocked, boolean admitted) {
    if (blocked && !full) {
      full = true;
      fullSince = clock.millis();
      fullGauge = true;
      log.warn("Store full: {} bytes of live data at max-size {} ({}); appends wait, so ingress is backpressured,"
          + " until acknowledgements, expiries or the cleanup free space. Nothing is dropped.",
          liveBytes.get(), settings.maxSize(), StoreSettings.PATH + ".max-size");
    } else if (full && !blocked && (admitted || liveBytes.get() < settings.maxSize())) {
      full = false;
      fullGauge = false;
      log.info("Store no longer full: {} bytes of live data under max-size {}; appends resume after {} ms.",
          liveBytes.get(), settings.maxSize(), clock.millis() - fullSince);
    }
  }

  private void apply(Op op, Batch batch) throws RocksDBException {
    // Registered first, so that an op that fails half-applied is failed with the batch, not forgotten.
    batch.waiting.add(future(op));
    if (op instanceof AppendOp a) {
      applyAppend(a, batch);
    } else if (op instanceof RemoveOp r) {
      applyRemove(r, batch);
    } else if (op instanceof ReclaimOp c) {
      long oldestLive = index.isEmpty() ? nextSequence : index.firstKey();
      batch.write.deleteRange(messagesCf, Keys.message(0), Keys.message(oldestLive));
      batch.onWritten.add(() -> c.done().complete(oldestLive));
    }
  }

  private void applyAppend(AppendOp a, Batch batch) throws RocksDBException {
    long sequence = nextSequence++;
    batch.wroteSequence = true;
    batch.write.put(messagesCf, Keys.message(sequence), a.record());
    Live live = new Live();
    live.messageBytes = a.record().length;
    for (Target t : a.refs()) {
      QueueId q = t.queue();
      batch.write.put(refsCf, Keys.ref(q.endpoint(), q.priority(), sequence), t.refValue());
      live.queues.add(q);
      queueLengths.computeIfAbsent(q, k -> new AtomicLong()).incrementAndGet();
    }
    index.put(sequence, live);
    liveBytes.addAndGet(a.bytes());
    liveMessages.incrementAndGet();
    batch.messages++;
    batch.bytes += a.bytes();
    int references = a.refs().size();
    batch.onWritten.add(() -> {
      appended.incrementAndGet();
      a.done().complete(new StoredRef(sequence, references));
    });
  }

  private void applyRemove(RemoveOp r, Batch batch) throws RocksDBException {
    int removed = 0;
    for (Position p : r.positions()) {
      Live live = index.get(p.sequence());
      if (live == null) {
        continue; // already gone: a repeated acknowledgement, or expired meanwhile
      }
      if (r.reason() == Reason.CORRUPT) {
        // An undecodable record serves no queue: delete it with every reference to it.
        for (QueueId q : List.copyOf(live.queues)) {
          removeRef(q, p.sequence(), live, batch);
        }
        removed++;
        continue;
      }
      QueueId q = new QueueId(r.endpoint(), p.priority());
      if (live.queues.contains(q)) {
        removeRef(q, p.sequence(), live, batch);
        removed++;
      }
    }
    batch.messages += r.positions().size();
    int count = removed;
    batch.onWritten.add(() -> {
      if (r.reason() == Reason.EXPIRED) {
        ttlExpired.addAndGet(count);
      } else if (r.reason() == Reason.CORRUPT) {
        corruptRecords.addAndGet(count);
      }
      r.done().complete(null);
    });
  }

  private void removeRef(QueueId q, long sequence, Live live, Batch batch) throws RocksDBException {
    batch.write.delete(refsCf, Keys.ref(q.endpoint(), q.priority(), sequence));
    if (batch.removedFrom == null) {
      batch.removedFrom = new HashSet<>();
    }
    batch.removedFrom.add(q);
    live.queues.remove(q);
    liveBytes.addAndGet(-refBytes(q));
    AtomicLong n = queueLengths.get(q);
    if (n != null) {
      n.decrementAndGet();
    }
    if (live.queues.isEmpty()) {
      // The last reference: the one copy of the message goes in the same write.
      batch.write.delete(messagesCf, Keys.message(sequence));
      index.remove(sequence);
      liveBytes.addAndGet(-live.messageBytes);
      liveMessages.decrementAndGet();
    }
  }

  /** How far {@link #moveFloors} looks through the index for a queue's next live reference. */
  private static final int FLOOR_SCAN_LIMIT = 4096;

  /**
   * For each queue the batch removes from: if its floor's reference is no longer live, the floor
   * moves to the queue's next live reference (as the index has it once the batch applied), set once
   * the batch is written. Every sequence passed over is not live in that queue, so the floor stays
   * at or below its oldest live reference; the look is bounded, and a floor left short of the head
   * only costs a later read some tombstones.
   */
  private void moveFloors(Batch batch) {
    if (batch.removedFrom == null) {
      return;
    }
    for (QueueId q : batch.removedFrom) {
      Long floor = readFloor.get(q);
      if (floor == null || liveIn(q, floor)) {
        continue;
      }
      long next = nextSequence; // none live: the queue's next reference will be appended from here
      int looked = 0;
      for (Map.Entry<Long, Live> e : index.tailMap(floor, false).entrySet()) {
        if (e.getValue().queues.contains(q) || ++looked >= FLOOR_SCAN_LIMIT) {
          next = e.getKey();
          break;
        }
      }
      long moved = next;
      // Before the batch's completions: whoever learns an acknowledgement is written reads past it.
      batch.onWritten.add(0, () -> readFloor.merge(q, moved, Math::max));
    }
  }

  private boolean liveIn(QueueId q, long sequence) {
    Live live = index.get(sequence);
    return live != null && live.queues.contains(q);
  }

  /**
   * Reads the index and the counters from disk: every reference, then every record (deleting
   * records that no reference needs, which only an older store could have left behind).
   */
  private void rebuildIndex() throws RocksDBException {
    index.clear();
    queueLengths.clear();
    long bytes = 0;
    long maxSequence = 0;
    try (RocksIterator it = db.newIterator(refsCf)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        QueueId q = Keys.queueOfRef(key);
        long sequence = Keys.sequenceOfRef(key);
        index.computeIfAbsent(sequence, s -> new Live()).queues.add(q);
        queueLengths.computeIfAbsent(q, k -> new AtomicLong()).incrementAndGet();
        bytes += key.length + Keys.REF_VALUE_LENGTH;
        maxSequence = Math.max(maxSequence, sequence);
      }
    }
    try (WriteBatch orphans = new WriteBatch(); RocksIterator it = db.newIterator(messagesCf)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        long sequence = Keys.sequenceOfMessage(it.key());
        maxSequence = Math.max(maxSequence, sequence);
        Live live = index.get(sequence);
        if (live == null) {
          orphans.delete(messagesCf, it.key());
        } else {
          live.messageBytes = it.value().length;
          bytes += live.messageBytes;
        }
      }
      if (orphans.count() > 0) {
        db.write(writeOptions, orphans);
      }
    }
    byte[] stored = db.get(defaultCf, NEXT_SEQUENCE);
    long storedNext = stored == null ? 1 : Keys.sequenceOfMessage(stored);
    // Never reuse a sequence: past both the persisted counter and anything on disk.
    nextSequence = Math.max(Math.max(storedNext, maxSequence + 1), Math.max(nextSequence, 1));
    liveBytes.set(bytes);
    liveMessages.set(index.size());
  }

  // ---------------------------------------------------------------------------------------------
  // Closing

  private void ensureOpen() {
    if (closing) {
      throw new StoreException("the store is closed");
    }
  }

  /**
   * Stops the cleanup and the writer and closes RocksDB. Appends and acknowledgements still waiting
   * fail with a {@link StoreException} (they were not written, so no device was acknowledged).
   */
  @Override
  public void close() {
    if (closing) {
      return;
    }
    closing = true;
    work.release();
    cleanupTimer.shutdownNow();
    try {
      writer.join();
      // Fail what the writer left before waiting for the cleanup: it may be waiting on one of them.
      StoreException closed = new StoreException("the store is closed");
      List<Op> left = new ArrayList<>();
      appends.drainTo(left);
      operations.drainTo(left);
      for (Op op : left) {
        future(op).completeExceptionally(closed);
      }
      cleanupTimer.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lifecycle.writeLock().lock();
    try {
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      db.close();
      writeOptions.close();
      removalOptions.close();
      cfOptions.close();
      dbOptions.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  private static CompletableFuture<?> future(Op op) {
    if (op instanceof AppendOp a) {
      return a.done();
    } else if (op instanceof RemoveOp r) {
      return r.done();
    }
    return ((ReclaimOp) op).done();
  }

  /** A store operation that could not be done: the store is closed, or RocksDB failed. */
  public static final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreException(String message) {
      super(message);
    }

    StoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  // For tests: puts raw bytes as the record of a stored message, as a damaged disk would.
  void overwriteRecordForTest(long sequence, byte[] bytes) {
    try {
      db.put(messagesCf, writeOptions, Keys.message(sequence), bytes);
    } catch (RocksDBException e) {
      throw new StoreException(e.getMessage(), e);
    }
  }
}

package dev.clearway.actors.metrics;

import dev.clearway.routes.Endpoint;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.QueueId;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's figures as gauges: queue lengths ({@code edgehub_queue_length}), the oldest queued
 * message's age per endpoint, bytes stored and on disk, and the messages whose time-to-live ran out.
 *
 * <p>Queue lengths and stored bytes are counters the store keeps in memory, read as they are. The
 * oldest ages (one RocksDB seek per queue) and the disk size are read by {@link #refreshWithin}
 * before each scrape, on a thread of their own: a scrape waits for them at most the given time and
 * otherwise answers with the previous figures, so a slow disk cannot hold a scrape.
 */
public final class StoreGauges implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreGauges.class);

  private final MeterRegistry registry;
  private final MessageStore store;
  private final Set<QueueId> queues = ConcurrentHashMap.newKeySet();
  private final Map<Endpoint, AtomicLong> oldestMillis = new ConcurrentHashMap<>();
  private final AtomicLong diskBytes = new AtomicLong();
  // One thread, and at most one read on it at a time: a slow read is waited for, not stacked.
  private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "clearway-metrics-store");
    t.setDaemon(true);
    return t;
  });
  private CompletableFuture<Void> reading = CompletableFuture.completedFuture(null);

  /**
   * @param maxBytes the store's size limit ({@code clearway.streams.store.max-size}), exported beside its fill
   * @param known queues to show from the start (those the routes name), at zero until they fill
   */
  public StoreGauges(MeterRegistry registry, MessageStore store, long maxBytes, Iterable<QueueId> known, GatewayCounters counters) {
    this.registry = registry;
    this.store = store;
    Gauge.builder("clearway.store.stored", store, MessageStore::storedBytes).baseUnit("bytes")
        .description("Bytes of live data in the store (records and queue entries), as clearway.streams.store.max-size counts them")
        .register(registry);
    Gauge.builder("clearway.store.max", () -> maxBytes).baseUnit("bytes")
        .description("The store's size limit, clearway.streams.store.max-size").register(registry);
    Gauge.builder("clearway.store.messages", store, MessageStore::storedMessages)
        .description("Messages in the store, each counted once however many queues hold it").register(registry);
    Gauge.builder("clearway.store.full", store, s -> s.full() ? 1 : 0)
        .description("1 while the store is at its size limit and devices' messages wait, else 0").register(registry);
    Gauge.builder("clearway.store.disk", diskBytes, AtomicLong::get).baseUnit("bytes")
        .description("Size of the store's files on disk (RocksDB table files); drops after compaction").register(registry);
    FunctionCounter.builder("clearway.store.corrupt.records", store, MessageStore::corruptRecords)
        .description("Stored records that could not be read and were deleted").register(registry);
    counters.droppedByExpiry(store, MessageStore::ttlExpired);
    known.forEach(this::track);
  }

  /** The endpoint as a label: {@code $upstream}, or {@code /modules/{m}/inputs/{i}}. */
  static String endpointLabel(Endpoint endpoint) {
    return endpoint instanceof Endpoint.ModuleInput in ? "/modules/" + in.moduleId() + "/inputs/" + in.input() : endpoint.sinkText();
  }

  /** Registers the gauges of a queue seen for the first time (queues are few: endpoints × priorities). */
  private void track(QueueId queue) {
    if (!queues.add(queue)) {
      return;
    }
    String endpoint = endpointLabel(queue.endpoint());
    Gauge.builder("edgehub.queue.length", store, s -> s.queueLength(queue.endpoint(), queue.priority()))
        .description("Current length of the gateway's queue for a given endpoint and priority")
        .tags("endpoint", endpoint, GatewayCounters.PRIORITY, Integer.toString(queue.priority())).register(registry);
    if (oldestMillis.putIfAbsent(queue.endpoint(), new AtomicLong()) == null) {
      AtomicLong age = oldestMillis.get(queue.endpoint());
      Gauge.builder("clearway.queue.oldest.age", age, a -> a.get() / 1000.0).baseUnit("seconds")
          .description("How long the oldest message waiting for an endpoint (any priority) has waited; 0 when none waits")
          .tags("endpoint", endpoint).register(registry);
    }
  }

  /** Reads the store's figures that cost a disk read, waiting for them at most {@code timeout}. */
  public void refreshWithin(Duration timeout) {
    CompletableFuture<Void> current;
    synchronized (this) {
      if (reading.isDone()) {
        reading = CompletableFuture.runAsync(this::read, reader);
      }
      current = reading;
    }
    try {
      current.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      log.debug("The store's figures took over {}; this scrape shows the previous ones", timeout);
    } catch (ExecutionException e) {
      log.debug("Could not read the store's figures: {}", e.getCause().toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void read() {
    if (!store.isOpen()) {
      return;
    }
    try {
      store.queueLengths().keySet().forEach(this::track);
      for (Map.Entry<Endpoint, AtomicLong> e : oldestMillis.entrySet()) {
        e.getValue().set(store.oldestAge(e.getKey()).map(Duration::toMillis).orElse(0L));
      }
      diskBytes.set(store.diskBytes());
    } catch (MessageStore.StoreException e) {
      // Closed meanwhile (the gateway is stopping): the previous figures stand.
      log.debug("The store's figures could not be read: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    reader.shutdownNow();
  }
}

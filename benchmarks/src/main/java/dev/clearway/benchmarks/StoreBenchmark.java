package dev.clearway.benchmarks;

import com.typesafe.config.ConfigFactory;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.RoutedEndpoint;
import dev.clearway.routes.SystemProperty;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.StoreSettings;
import dev.clearway.streams.store.StoredMessage;
import dev.clearway.streams.store.StoredRef;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Store throughput with 1 KiB messages to one endpoint ({@code $upstream}), in messages per second.
 *
 * <ul>
 *   <li>{@code append}: {@value #BURST} appends in flight at once (as many connections would have),
 *       all awaited; the writer group-commits them. With {@code sync=true} each group commit fsyncs.
 *   <li>{@code readAndAcknowledge}: {@code next} of {@value #BURST} messages, then their
 *       acknowledgement awaited, from a queue filled before each iteration.
 *   <li>{@code read}: {@code next} of {@value #BURST} messages alone (references and records read and
 *       decoded), as each poll of the uplink does; nothing is acknowledged, so every call reads the
 *       same oldest messages of a queue of {@value #QUEUED}, from RocksDB's cache.
 * </ul>
 * The store lives under {@code -Dclearway.bench.dir} (default: the temp directory; make it a real disk
 * for sync figures to mean anything).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar StoreBenchmark -f 1 -wi 2 -i 3 -w 2s -r 3s</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class StoreBenchmark {
  static final int BURST = 256;
  // Enough for one read-and-acknowledge iteration on this class of machine; refilled when short.
  private static final int PREFILL = 200_000;
  static final int QUEUED = 4 * BURST;

  @Param({"false", "true"})
  public boolean sync;

  private Path dir;
  private MessageStore store;
  private Message message;
  private List<RoutedEndpoint> upstream;

  @Setup(Level.Trial)
  public void open() throws IOException {
    Path parent = Path.of(System.getProperty("clearway.bench.dir", System.getProperty("java.io.tmpdir")));
    dir = Files.createTempDirectory(parent, "clearway-store-bench");
    StoreSettings settings = StoreSettings.create(ConfigFactory.load()).withSync(sync);
    store = MessageStore.open(dir, settings);
    byte[] body = new byte[1024];
    new Random(1).nextBytes(body);
    message = Message.builder()
        .systemProperty(SystemProperty.CONNECTION_DEVICE_ID, "sensor-17")
        .systemProperty(SystemProperty.MESSAGE_ID, "6a1c0f6e-4b3e-4f43-9d55-1f0b8f1f2a77")
        .property("severity", "high")
        .body(body)
        .build();
    upstream = List.of(new RoutedEndpoint(Endpoint.UPSTREAM, 0, Duration.ofHours(2), "bench"));
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Each iteration starts from an empty store, so appends never meet the size limit. */
  @Setup(Level.Iteration)
  public void drain() {
    List<StoredMessage> batch;
    while (!(batch = store.next(Endpoint.UPSTREAM, 10_000, Long.MAX_VALUE)).isEmpty()) {
      store.acknowledge(Endpoint.UPSTREAM, batch.stream().map(StoredMessage::position).toList())
          .toCompletableFuture().join();
    }
    store.cleanup();
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public long append() {
    return burst(BURST);
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public int readAndAcknowledge(Filled filled) {
    List<StoredMessage> batch = store.next(Endpoint.UPSTREAM, BURST, Long.MAX_VALUE);
    if (batch.size() < BURST) {
      burst(PREFILL / 4); // ran dry: the rare refill is counted in this invocation's time
      batch = store.next(Endpoint.UPSTREAM, BURST, Long.MAX_VALUE);
    }
    store.acknowledge(Endpoint.UPSTREAM, batch.stream().map(StoredMessage::position).toList())
        .toCompletableFuture().join();
    return batch.size();
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public int read(Queued queued) {
    return store.next(Endpoint.UPSTREAM, BURST, Long.MAX_VALUE).size();
  }

  private long burst(int n) {
    CompletableFuture<?>[] all = new CompletableFuture<?>[n];
    for (int i = 0; i < n; i++) {
      all[i] = store.append(message, upstream).toCompletableFuture();
    }
    CompletableFuture.allOf(all).join();
    return ((StoredRef) all[n - 1].join()).sequence();
  }

  /** Fills the queue before each iteration of {@code readAndAcknowledge} (after {@link #drain}). */
  @State(Scope.Benchmark)
  public static class Filled {
    @Setup(Level.Iteration)
    public void fill(StoreBenchmark b) {
      b.burst(PREFILL);
    }
  }

  /** A few bursts in the queue before each iteration of {@code read} (after {@link #drain}). */
  @State(Scope.Benchmark)
  public static class Queued {
    @Setup(Level.Iteration)
    public void fill(StoreBenchmark b) {
      b.burst(QUEUED);
    }
  }
}

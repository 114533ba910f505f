package dev.clearway.streams.store;

import static dev.clearway.streams.store.StoreFixtures.UPSTREAM;
import static dev.clearway.streams.store.StoreFixtures.settings;
import static dev.clearway.streams.store.StoreFixtures.to;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.clearway.routes.Message;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The size limit and the cleanup: the two ways the store bounds its disk. */
class MessageStoreLimitsTest {
  @TempDir Path dir;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger storeLog = (Logger) LoggerFactory.getLogger(MessageStore.class);

  private Level levelBefore;

  @BeforeEach
  void captureLogs() {
    // Whichever logback-test.xml the classpath offers first, the store's INFO lines are captured.
    levelBefore = storeLog.getLevel();
    storeLog.setLevel(Level.INFO);
    logs.start();
    storeLog.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    storeLog.detachAppender(logs);
    storeLog.setLevel(levelBefore);
  }

  private static Message sized(int i, int bytes) {
    byte[] body = new byte[bytes];
    new Random(i).nextBytes(body); // incompressible, so table files are as large as the data
    return Message.builder().property("i", Integer.toString(i)).body(body).build();
  }

  private long lines(String start) {
    return logs.list.stream().filter(e -> e.getFormattedMessage().startsWith(start)).count();
  }

  @Test
  void aFullStoreHoldsAppendsUntilAcknowledgementsFreeSpaceThenCompletesThemAllWithOneLogLinePerEpisode() throws Exception {
    // Room for four 2 KiB messages (with their reference entries), not five.
    try (MessageStore store = MessageStore.open(dir, settings().withMaxSize(9 * 1024))) {
      List<CompletableFuture<StoredRef>> appends = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        appends.add(store.append(sized(i, 2048), List.of(to(UPSTREAM, 0))).toCompletableFuture());
      }
      await().atMost(Duration.ofSeconds(10)).until(store::full);
      Thread.sleep(300); // the writer goes round many times meanwhile; none of that may add a line
      assertThat(appends.stream().filter(CompletableFuture::isDone).count()).isEqualTo(4);
      assertThat(store.storedMessages()).isEqualTo(4);
      assertThat(lines("Store full")).isEqualTo(1);
      assertThat(lines("Store no longer full")).isZero();

      // Deliver and acknowledge as a consumer would; each acknowledgement admits waiting appends.
      Set<Long> delivered = new HashSet<>();
      while (!appends.stream().allMatch(CompletableFuture::isDone)) {
        List<StoredMessage> batch = store.next(UPSTREAM, 100, Long.MAX_VALUE);
        batch.forEach(m -> delivered.add(m.position().sequence()));
        store.acknowledge(UPSTREAM, batch.stream().map(StoredMessage::position).toList()).toCompletableFuture().join();
        Thread.sleep(20);
      }
      store.next(UPSTREAM, 100, Long.MAX_VALUE).forEach(m -> delivered.add(m.position().sequence()));

      // Nothing dropped: every append completed, and every one of them was delivered.
      assertThat(delivered).containsExactlyInAnyOrderElementsOf(appends.stream().map(f -> f.join().sequence()).toList());
      assertThat(lines("Store no longer full")).isPositive();
      assertThat(lines("Store full")).isLessThanOrEqualTo(lines("Store no longer full") + 1);
      store.acknowledge(UPSTREAM, store.next(UPSTREAM, 100, Long.MAX_VALUE).stream().map(StoredMessage::position).toList())
          .toCompletableFuture().join();
      await().atMost(Duration.ofSeconds(10)).until(() -> !store.full());
      assertThat(store.storedBytes()).isZero();
    }
  }

  @Test
  void theCleanupReclaimsTheDiskSpaceOfAcknowledgedMessages() {
    try (MessageStore store = MessageStore.open(dir, settings())) {
      List<CompletableFuture<StoredRef>> appends = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        appends.add(store.append(sized(i, 4096), List.of(to(UPSTREAM, 0))).toCompletableFuture());
      }
      CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).join();
      store.cleanup(); // nothing to reclaim yet; flushes, so the data is in table files
      long full = store.diskBytes();
      assertThat(full).isGreaterThan(300L * 4096);

      store.acknowledge(UPSTREAM, store.next(UPSTREAM, 1000, Long.MAX_VALUE).stream().map(StoredMessage::position).toList())
          .toCompletableFuture().join();
      assertThat(store.storedBytes()).isZero();
      store.cleanup();

      assertThat(store.diskBytes()).isLessThan(full / 20);
    }
  }
}

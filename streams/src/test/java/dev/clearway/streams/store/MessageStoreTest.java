package dev.clearway.streams.store;

import static dev.clearway.streams.store.StoreFixtures.ALERTS;
import static dev.clearway.streams.store.StoreFixtures.FILTER;
import static dev.clearway.streams.store.StoreFixtures.FOREVER;
import static dev.clearway.streams.store.StoreFixtures.HOUR;
import static dev.clearway.streams.store.StoreFixtures.UPSTREAM;
import static dev.clearway.streams.store.StoreFixtures.message;
import static dev.clearway.streams.store.StoreFixtures.settings;
import static dev.clearway.streams.store.StoreFixtures.to;
import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.routes.Endpoint;
import dev.clearway.routes.RouteSpec;
import dev.clearway.tls.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MessageStoreTest {
  @TempDir Path dir;
  private final MutableClock clock = StoreFixtures.clock();
  private MessageStore store;

  private MessageStore open() {
    store = MessageStore.open(dir, settings(), clock);
    return store;
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private static StoredRef join(java.util.concurrent.CompletionStage<StoredRef> s) {
    return s.toCompletableFuture().join();
  }

  private static List<String> bodies(List<StoredMessage> ms) {
    return ms.stream().map(m -> new String(m.message().body(), java.nio.charset.StandardCharsets.UTF_8)).toList();
  }

  private void ack(Endpoint e, List<StoredMessage> ms) {
    store.acknowledge(e, ms.stream().map(StoredMessage::position).toList()).toCompletableFuture().join();
  }

  @Test
  void anAppendedMessageIsReadByEveryEndpointItWasRoutedToAndByNoOther() {
    open();
    StoredRef ref = join(store.append(message("a"), List.of(to(UPSTREAM, 0), to(FILTER, 3))));

    assertThat(ref.stored()).isTrue();
    assertThat(ref.references()).isEqualTo(2);
    assertThat(store.next(UPSTREAM, 10, Long.MAX_VALUE)).singleElement()
        .satisfies(m -> {
          assertThat(m.message()).isEqualTo(message("a"));
          assertThat(m.position()).isEqualTo(new Position(0, ref.sequence()));
          assertThat(m.enqueuedAt()).isEqualTo(clock.instant());
        });
    assertThat(store.next(FILTER, 10, Long.MAX_VALUE)).singleElement()
        .satisfies(m -> assertThat(m.position()).isEqualTo(new Position(3, ref.sequence())));
    assertThat(store.next(ALERTS, 10, Long.MAX_VALUE)).isEmpty();
    assertThat(store.storedMessages()).isEqualTo(1);
  }

  @Test
  void theOldestAgeAfterAcknowledgementsInAnyOrderStepsOverNoneOfTheDeletedReferences() {
    open();
    for (int i = 0; i < 500; i++) {
      join(store.append(message("m" + i), List.of(to(UPSTREAM, RouteSpec.BARE_PRIORITY))));
    }
    ReadCursor cursor = new ReadCursor();
    List<StoredMessage> read = store.next(UPSTREAM, 500, Long.MAX_VALUE, cursor, p -> false);
    assertThat(store.oldestAge(UPSTREAM)).isPresent(); // the scrape that learns the queue's head
    // Confirmed out of order, as links to the hub confirm: the last 400 first, then the first 99.
    ack(UPSTREAM, read.subList(100, 500));
    ack(UPSTREAM, read.subList(0, 99));
    clock.advance(java.time.Duration.ofSeconds(7));

    var age = new java.util.concurrent.atomic.AtomicReference<java.util.Optional<java.time.Duration>>();
    long passed = store.deletedEntriesPassedBy(() -> age.set(store.oldestAge(UPSTREAM)));

    assertThat(age.get()).contains(java.time.Duration.ofSeconds(7)); // m99, the one still unconfirmed
    assertThat(passed).as("the floor moved with the acknowledgements, to m99").isZero();
    ack(UPSTREAM, read.subList(99, 100));
    assertThat(store.deletedEntriesPassedBy(() -> assertThat(store.oldestAge(UPSTREAM)).isEmpty())).isZero();
  }

  @Test
  void anAcknowledgementReachingABusyWriterGoesIntoItsNextWriteInsteadOfAWriteOfItsOwn() {
    // Synced, with a long wait for more appends: the writer is busy with "b" when the acknowledgement comes.
    StoreSettings s = settings();
    store = MessageStore.open(dir, new StoreSettings(true, s.maxBatchMessages(), s.maxBatchBytes(), s.maxPendingAppends(),
        s.maxPendingOperations(), s.maxSize(), s.cleanupInterval(), java.time.Duration.ofMillis(50)), clock);
    join(store.append(message("a"), List.of(to(UPSTREAM, 0))));
    List<StoredMessage> first = store.next(UPSTREAM, 10, Long.MAX_VALUE);
    long before = store.writeBatches();

    java.util.concurrent.CompletableFuture<StoredRef> appended = store.append(message("b"), List.of(to(UPSTREAM, 0))).toCompletableFuture();
    java.util.concurrent.CompletableFuture<Void> acked = store.acknowledge(UPSTREAM, List.of(first.get(0).position())).toCompletableFuture();
    appended.join();
    acked.join();

    assertThat(store.writeBatches()).as("one write for the append and the acknowledgement").isEqualTo(before + 1);
    assertThat(bodies(store.next(UPSTREAM, 10, Long.MAX_VALUE))).containsExactly("b");
  }

  @Test
  void anAcknowledgementWithNothingElseToWriteWakesTheIdleWriter() {
    open();
    join(store.append(message("a"), List.of(to(UPSTREAM, 0))));
    List<StoredMessage> read = store.next(UPSTREAM, 10, Long.MAX_VALUE);

    store.acknowledge(UPSTREAM, List.of(read.get(0).position())).toCompletableFuture().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join();

    assertThat(store.next(UPSTREAM, 10, Long.MAX_VALUE)).isEmpty();
    assertThat(store.storedMessages()).isZero();
  }

  @Test
  void theStoreSaysWhetherItIsOpen() {
    open();
    assertThat(store.isOpen()).isTrue();
    store.close();
    assertThat(store.isOpen()).isFalse();
  }

  @Test
  void aMessageWithNoEndpointIsNotStored() {
    open();
    assertThat(join(store.append(message("a"), List.of()))).isEqualTo(StoredRef.NOT_STORED);
    assertThat(StoredRef.NOT_STORED.stored()).isFalse();
    assertThat(store.storedMessages()).isZero();
    assertThat(store.writeBatches()).isZero();
  }

  @Test
  void acknowledgementsPerEndpointAreIndependentAndTheMessageIsDeletedOnlyAfterTheLast() {
    open();
    join(store.append(message("a"), List.of(to(UPSTREAM, 0), to(FILTER, 0))));
    long bytes = store.storedBytes();

    ack(UPSTREAM, store.next(UPSTREAM, 10, Long.MAX_VALUE));

    assertThat(store.next(UPSTREAM, 10, Long.MAX_VALUE)).isEmpty();
    assertThat(bodies(store.next(FILTER, 10, Long.MAX_VALUE))).containsExactly("a");
    assertThat(store.storedMessages()).isEqualTo(1);
    assertThat(store.storedBytes()).isLessThan(bytes).isPositive();

    ack(FILTER, store.next(FILTER, 10, Long.MAX_VALUE));

    assertThat(store.next(FILTER, 10, Long.MAX_VALUE)).isEmpty();
    assertThat(store.storedMessages()).isZero();
    assertThat(store.storedBytes()).isZero();
  }

  @Test
  void aRepeatedOrForeignAcknowledgementChangesNothing() {
    open();
    StoredRef ref = join(store.append(message("a"), List.of(to(UPSTREAM, 0), to(FILTER, 0))));
    List<StoredMessage> up = store.next(UPSTREAM, 10, Long.MAX_VALUE);
    ack(UPSTREAM, up);
    ack(UPSTREAM, up);
    // The wrong priority for FILTER names no reference of it.
    store.acknowledge(FILTER, List.of(new Position(5, ref.sequence()))).toCompletableFuture().join();

    assertThat(bodies(store.next(FILTER, 10, Long.MAX_VALUE))).containsExactly("a");
    assertThat(store.queueLength(FILTER, 0)).isEqualTo(1);
    assertThat(store.storedMessages()).isEqualTo(1);
  }

  @Test
  void higherPriorityComesFirstAcrossQueuesAndFifoWithinAPriority() {
    open();
    join(store.append(message("bare-1"), List.of(to(UPSTREAM, RouteSpec.BARE_PRIORITY))));
    join(store.append(message("p5-1"), List.of(to(UPSTREAM, 5))));
    join(store.append(message("p0-1"), List.of(to(UPSTREAM, 0))));
    join(store.append(message("p5-2"), List.of(to(UPSTREAM, 5))));
    join(store.append(message("p9-1"), List.of(to(UPSTREAM, 9))));
    join(store.append(message("p0-2"), List.of(to(UPSTREAM, 0))));

    assertThat(bodies(store.next(UPSTREAM, 10, Long.MAX_VALUE)))
        .containsExactly("p0-1", "p0-2", "p5-1", "p5-2", "p9-1", "bare-1");
    assertThat(bodies(store.next(UPSTREAM, 3, Long.MAX_VALUE))).containsExactly("p0-1", "p0-2", "p5-1");
  }

  @Test
  void acknowledgingOutOfOrderLeavesTheRestInOrderAcrossReadsAndNewAppends() {
    open();
    for (int i = 1; i <= 5; i++) {
      join(store.append(message("m" + i), List.of(to(UPSTREAM, 0))));
    }
    List<StoredMessage> first = store.next(UPSTREAM, 5, Long.MAX_VALUE);
    ack(UPSTREAM, List.of(first.get(1), first.get(3)));
    assertThat(bodies(store.next(UPSTREAM, 10, Long.MAX_VALUE))).containsExactly("m1", "m3", "m5");

    ack(UPSTREAM, List.of(first.get(0)));
    join(store.append(message("m6"), List.of(to(UPSTREAM, 0))));
    assertThat(bodies(store.next(UPSTREAM, 10, Long.MAX_VALUE))).containsExactly("m3", "m5", "m6");
    assertThat(store.oldestAge(UPSTREAM)).isPresent();
  }

  @Test
  void aReaderWithMessagesInFlightReadsPastThemInPriorityOrder() {
    open();
    for (int i = 1; i <= 4; i++) {
      join(store.append(message("m" + i), List.of(to(UPSTREAM, 5))));
    }
    List<StoredMessage> first = store.next(UPSTREAM, 2, Long.MAX_VALUE);
    java.util.Set<Position> inFlight = new java.util.HashSet<>(first.stream().map(StoredMessage::position).toList());
    join(store.append(message("urgent"), List.of(to(UPSTREAM, 0))));

    List<StoredMessage> rest = store.next(UPSTREAM, 10, Long.MAX_VALUE, new ReadCursor(), inFlight::contains);

    assertThat(bodies(first)).containsExactly("m1", "m2");
    assertThat(bodies(rest)).containsExactly("urgent", "m3", "m4");
    // Passing over a reference does not acknowledge it: without the filter it is read again.
    assertThat(bodies(store.next(UPSTREAM, 1, Long.MAX_VALUE))).containsExactly("urgent");
    assertThat(store.queueLength(UPSTREAM, 5)).isEqualTo(4);
  }

  @Test
  void aCursorReadsOnAfterWhatItsReaderReadWithoutPassingOverItAgain() {
    open();
    for (int i = 1; i <= 4; i++) {
      join(store.append(message("m" + i), List.of(to(UPSTREAM, 5))));
    }
    ReadCursor cursor = new ReadCursor();
    Predicate<Position> nothing = p -> false;

    List<StoredMessage> first = store.next(UPSTREAM, 2, Long.MAX_VALUE, cursor, nothing);
    List<StoredMessage> second = store.next(UPSTREAM, 10, Long.MAX_VALUE, cursor, nothing);
    join(store.append(message("m5"), List.of(to(UPSTREAM, 5))));
    join(store.append(message("urgent"), List.of(to(UPSTREAM, 0))));
    List<StoredMessage> third = store.next(UPSTREAM, 10, Long.MAX_VALUE, cursor, nothing);

    assertThat(bodies(first)).containsExactly("m1", "m2");
    // Nothing skipped them: the cursor alone keeps the first read's messages out of the second.
    assertThat(bodies(second)).containsExactly("m3", "m4");
    assertThat(bodies(third)).containsExactly("urgent", "m5");
    assertThat(store.next(UPSTREAM, 10, Long.MAX_VALUE, cursor, nothing)).isEmpty();
    // The cursor is the reader's alone: a plain read still starts at the oldest unacknowledged.
    assertThat(bodies(store.next(UPSTREAM, 1, Long.MAX_VALUE))).containsExactly("urgent");
  }

  @Test
  void aRewoundCursorReadsAgainWhatWasGivenBackAndSkipsWhatIsStillInFlight() {
    open();
    for (int i = 1; i <= 4; i++) {
      join(store.append(message("m" + i), List.of(to(UPSTREAM, 5))));
    }
    ReadCursor cursor = new ReadCursor();
    List<StoredMessage> read = store.next(UPSTREAM, 10, Long.MAX_VALUE, cursor, p -> false);
    ack(UPSTREAM, List.of(read.get(0)));
    // m2 is given back unsent; m3 and m4 are still in flight.
    Set<Position> inFlight = Set.of(read.get(2).position(), read.get(3).position());

    cursor.rewind();
    List<StoredMessage> again = store.next(UPSTREAM, 10, Long.MAX_VALUE, cursor, inFlight::contains);

    assertThat(bodies(again)).containsExactly("m2");
    assertThat(store.next(UPSTREAM, 10, Long.MAX_VALUE, cursor, inFlight::contains)).isEmpty();
  }

  @Test
  void aCursorReadAfterAcknowledgementsStepsOverNoneOfTheDeletedReferences() {
    open();
    for (int i = 0; i < 500; i++) {
      join(store.append(message("m" + i), List.of(to(UPSTREAM, RouteSpec.BARE_PRIORITY))));
    }
    ReadCursor cursor = new ReadCursor();
    ack(UPSTREAM, store.next(UPSTREAM, 500, Long.MAX_VALUE, cursor, p -> false));
    join(store.append(message("next"), List.of(to(UPSTREAM, RouteSpec.BARE_PRIORITY))));
    List<List<StoredMessage>> read = new java.util.ArrayList<>();

    // The 500 deleted references are still in RocksDB (nothing compacted them): neither the empty
    // higher priorities' queues nor the cursor's own queue may walk through them.
    long passed = store.deletedEntriesPassedBy(() -> read.add(store.next(UPSTREAM, 10, Long.MAX_VALUE, cursor, p -> false)));

    assertThat(bodies(read.get(0))).containsExactly("next");
    assertThat(passed).isZero();
    // Nor a read from the queue's head: its floor followed the acknowledgements.
    assertThat(store.deletedEntriesPassedBy(() -> store.next(UPSTREAM, 10, Long.MAX_VALUE))).isZero();
  }

  @Test
  void aMessageLeftOutForTheByteLimitIsWhereTheCursorReadsOn() {
    open();
    join(store.append(message("a".repeat(600)), List.of(to(UPSTREAM, 5))));
    join(store.append(message("b".repeat(600)), List.of(to(UPSTREAM, 5))));
    ReadCursor cursor = new ReadCursor();

    List<StoredMessage> first = store.next(UPSTREAM, 10, 1000, cursor, p -> false);
    List<StoredMessage> second = store.next(UPSTREAM, 10, 1000, cursor, p -> false);

    assertThat(bodies(first)).containsExactly("a".repeat(600));
    assertThat(bodies(second)).containsExactly("b".repeat(600));
  }

  @Test
  void aKeptTwinSurvivesReopeningAndTheLatestWins() {
    open();
    store.putTwin("d1", "{\"v\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    store.putTwin("d1", "{\"v\":2}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    store.close();
    open();

    assertThat(store.twin("d1")).hasValueSatisfying(b -> assertThat(new String(b, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"v\":2}"));
    assertThat(store.twin("d2")).isEmpty();
    assertThat(store.storedMessages()).isZero();
  }

  @Test
  void anEndpointListedTwiceIsStoredOnceAtItsHighestPriority() {
    open();
    StoredRef ref = join(store.append(message("a"), List.of(to(UPSTREAM, 7), to(UPSTREAM, 2), to(UPSTREAM, 4))));

    assertThat(ref.references()).isEqualTo(1);
    assertThat(store.next(UPSTREAM, 10, Long.MAX_VALUE)).singleElement()
        .satisfies(m -> assertThat(m.position().priority()).isEqualTo(2));
  }

  @Test
  void nextStopsAtTheByteLimitButAlwaysReturnsAtLeastOneMessage() {
    open();
    for (int i = 0; i < 5; i++) {
      join(store.append(message("m" + i), List.of(to(UPSTREAM, 0))));
    }
    List<StoredMessage> all = store.next(UPSTREAM, 10, Long.MAX_VALUE);
    int one = all.get(0).storedBytes();

    assertThat(store.next(UPSTREAM, 10, 2L * one)).hasSize(2);
    assertThat(store.next(UPSTREAM, 10, 1)).hasSize(1);
  }

  @Test
  void expiredReferencesAreSkippedRemovedAndCountedWhileForeverNeverExpires() {
    open();
    join(store.append(message("short"), List.of(to(UPSTREAM, 0, Duration.ofMinutes(1)), to(FILTER, 0, HOUR))));
    join(store.append(message("forever"), List.of(to(UPSTREAM, 0, FOREVER))));
    join(store.append(message("long"), List.of(to(UPSTREAM, 1, HOUR))));

    Instant appended = Instant.ofEpochMilli(clock.millis());
    clock.advance(Duration.ofSeconds(59));
    List<StoredMessage> read = store.next(UPSTREAM, 10, Long.MAX_VALUE);
    assertThat(bodies(read)).containsExactly("short", "forever", "long");
    assertThat(read).extracting(StoredMessage::expiresAt)
        .containsExactly(appended.plus(Duration.ofMinutes(1)), Instant.MAX, appended.plus(HOUR));
    assertThat(store.ttlExpired()).isZero();

    clock.advance(Duration.ofSeconds(1));
    assertThat(bodies(store.next(UPSTREAM, 10, Long.MAX_VALUE))).containsExactly("forever", "long");
    assertThat(store.ttlExpired()).isEqualTo(1);
    assertThat(store.queueLength(UPSTREAM, 0)).isEqualTo(1);
    // Each reference has its own TTL: FILTER's copy of the same message lives on.
    assertThat(bodies(store.next(FILTER, 10, Long.MAX_VALUE))).containsExactly("short");

    clock.advance(Duration.ofDays(3650));
    assertThat(bodies(store.next(UPSTREAM, 10, Long.MAX_VALUE))).containsExactly("forever");
    assertThat(store.next(FILTER, 10, Long.MAX_VALUE)).isEmpty();
    assertThat(store.ttlExpired()).isEqualTo(3);
    assertThat(store.storedMessages()).isEqualTo(1);
  }

  @Test
  void theCleanupRemovesAndCountsExpiredReferencesNoReaderMet() {
    open();
    join(store.append(message("a"), List.of(to(UPSTREAM, 0, Duration.ofMinutes(1)), to(ALERTS, 4, Duration.ofMinutes(1)))));
    join(store.append(message("b"), List.of(to(UPSTREAM, 0, HOUR))));
    clock.advance(Duration.ofMinutes(2));

    assertThat(store.cleanup()).isEqualTo(2);

    assertThat(store.ttlExpired()).isEqualTo(2);
    assertThat(store.storedMessages()).isEqualTo(1);
    assertThat(store.queueLengths()).isEqualTo(Map.of(new QueueId(UPSTREAM, 0), 1L));
  }

  @Test
  void reopeningKeepsUnacknowledgedMessagesInOrderAndSequencesContinue() {
    open();
    long last = 0;
    for (int i = 0; i < 20; i++) {
      last = join(store.append(message("m" + i), List.of(to(UPSTREAM, i % 2 == 0 ? 1 : 3), to(FILTER, 0)))).sequence();
    }
    ack(UPSTREAM, store.next(UPSTREAM, 5, Long.MAX_VALUE));
    List<StoredMessage> before = store.next(UPSTREAM, 100, Long.MAX_VALUE);
    long bytes = store.storedBytes();
    store.close();

    open();
    assertThat(store.next(UPSTREAM, 100, Long.MAX_VALUE)).isEqualTo(before);
    assertThat(store.next(FILTER, 100, Long.MAX_VALUE)).hasSize(20);
    assertThat(store.storedBytes()).isEqualTo(bytes);
    assertThat(store.queueLength(UPSTREAM, 1)).isEqualTo(5);
    assertThat(store.queueLength(UPSTREAM, 3)).isEqualTo(10);
    assertThat(join(store.append(message("after"), List.of(to(UPSTREAM, 0)))).sequence()).isGreaterThan(last);
  }

  @Test
  void sequencesAreNeverReusedEvenAfterEveryMessageWasDeleted() {
    open();
    long last = join(store.append(message("a"), List.of(to(UPSTREAM, 0)))).sequence();
    last = Math.max(last, join(store.append(message("b"), List.of(to(UPSTREAM, 0)))).sequence());
    ack(UPSTREAM, store.next(UPSTREAM, 10, Long.MAX_VALUE));
    store.cleanup();
    store.close();

    open();
    assertThat(store.storedMessages()).isZero();
    assertThat(join(store.append(message("c"), List.of(to(UPSTREAM, 0)))).sequence()).isGreaterThan(last);
  }

  @Test
  void metricsReportQueueLengthsAndTheOldestMessageAge() {
    open();
    join(store.append(message("a"), List.of(to(UPSTREAM, 2), to(FILTER, 0))));
    clock.advance(Duration.ofSeconds(30));
    join(store.append(message("b"), List.of(to(UPSTREAM, 0))));
    clock.advance(Duration.ofSeconds(10));

    assertThat(store.queueLengths()).isEqualTo(Map.of(
        new QueueId(UPSTREAM, 0), 1L, new QueueId(UPSTREAM, 2), 1L, new QueueId(FILTER, 0), 1L));
    assertThat(store.oldestAge(UPSTREAM)).contains(Duration.ofSeconds(40));
    assertThat(store.oldestAge(ALERTS)).isEmpty();
    assertThat(store.appendedMessages()).isEqualTo(2);
    assertThat(store.storedMessages()).isEqualTo(2);
  }

  @Test
  void concurrentAppendsAreGroupCommittedIntoFarFewerWrites() {
    // With fsync on, appends pile up while each write syncs: the case group commit is for.
    store = MessageStore.open(dir, settings().withSync(true), clock);
    int n = 2000;
    List<CompletableFuture<StoredRef>> all = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(store.append(message("m" + i), List.of(to(UPSTREAM, 0))).toCompletableFuture());
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();

    assertThat(store.appendedMessages()).isEqualTo(n);
    // One write per append would be n; the writer batches whatever queued while it wrote.
    assertThat(store.writeBatches()).isLessThan(n / 4);
    // Completion order is sequence order: a batch is written in the order it was queued.
    assertThat(all.stream().map(f -> f.join().sequence()).toList()).isSorted();
    assertThat(store.next(UPSTREAM, n, Long.MAX_VALUE)).hasSize(n);
  }

  @Test
  void aCorruptedRecordIsSkippedLoggedCountedAndDeletedNotThrown() {
    open();
    join(store.append(message("a"), List.of(to(UPSTREAM, 0))));
    long bad = join(store.append(message("b"), List.of(to(UPSTREAM, 0), to(FILTER, 0)))).sequence();
    join(store.append(message("c"), List.of(to(UPSTREAM, 0))));
    store.overwriteRecordForTest(bad, new byte[] {1, 2, 3, 4, 5, 6, 7});

    assertThat(bodies(store.next(UPSTREAM, 10, Long.MAX_VALUE))).containsExactly("a", "c");
    assertThat(store.corruptRecords()).isEqualTo(1);
    // The record is gone with all its references, so no endpoint meets it again.
    assertThat(store.next(FILTER, 10, Long.MAX_VALUE)).isEmpty();
    assertThat(store.queueLength(FILTER, 0)).isZero();
    assertThat(store.storedMessages()).isEqualTo(2);
  }

  @Test
  void aClosedStoreRefusesWorkWithAClearError() {
    open();
    store.close();
    assertThat(store.append(message("a"), List.of(to(UPSTREAM, 0))).toCompletableFuture())
        .failsWithin(Duration.ofSeconds(5))
        .withThrowableThat().withMessageContaining("the store is closed");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.next(UPSTREAM, 1, 1))
        .hasMessageContaining("the store is closed");
  }
}

package dev.clearway.streams.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.routes.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class IngressTest {
  private static final ActorSystem system = ActorSystem.create("IngressTest");
  private static final Materializer mat = Materializer.matFromSystem(system);

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static Message msg(int i) {
    return Message.builder().body("m" + i).build();
  }

  @Test
  void offersCompleteOnceTheRouterHandledTheMessageAndEverythingReachesItInOrder() throws Exception {
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    Ingress ingress = Ingress.start(mat, 4, 8, Sink.foreach(e -> {
      seen.add(new String(e.message().body()));
      e.handled().complete(Done.getInstance());
    }));

    for (int i = 0; i < 20; i++) {
      ingress.offer(msg(i)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    ingress.close().toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertThat(seen).hasSize(20).startsWith("m0", "m1").endsWith("m19");
  }

  @Test
  void aFullIngressHoldsOffersUntilTheRouterTakesMore() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    // The router is stuck until the gate opens: the buffer fills and later offers must wait.
    Sink<Ingress.Envelope, CompletionStage<Done>> stuck = Flow.<Ingress.Envelope>create()
        .mapAsync(1, e -> gate.thenApply(v -> e.handled().complete(Done.getInstance())))
        .toMat(Sink.ignore(), Keep.right());
    Ingress ingress = Ingress.start(mat, 2, 8, stuck);

    List<CompletableFuture<Done>> offers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      offers.add(ingress.offer(msg(i)).toCompletableFuture());
    }
    Thread.sleep(200); // give the stream time to take what it can; it cannot take all six
    long completedWhileStuck = offers.stream().filter(CompletableFuture::isDone).count();
    gate.complete(null);
    for (CompletableFuture<Done> f : offers) {
      f.get(5, TimeUnit.SECONDS);
    }

    assertThat(completedWhileStuck).isLessThan(6);
    assertThat(offers).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
  }

  @Test
  void withRoomASubmissionIsTakenAtOnceOnTheSubmittingThread() {
    Ingress ingress = Ingress.start(mat, 4, 8, Sink.foreach(e -> e.handled().complete(Done.getInstance())));

    Ingress.Submitted submitted = ingress.submit(msg(1));

    assertThat(submitted.enqueuedNow()).as("taken before submit returned").isTrue();
    assertThat(submitted.handled()).succeedsWithin(Duration.ofSeconds(5));
  }

  @Test
  void submissionsThatWaitedForRoomReachTheRouterInTheOrderTheyCame() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    Ingress ingress = Ingress.start(mat, 2, 16, Flow.<Ingress.Envelope>create()
        .mapAsync(1, e -> gate.thenApply(v -> {
          seen.add(new String(e.message().body()));
          return e.handled().complete(Done.getInstance());
        }))
        .toMat(Sink.ignore(), Keep.right()));

    List<Ingress.Submitted> submitted = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      submitted.add(ingress.submit(msg(i)));
    }
    long waitingWhileStuck = submitted.stream().filter(s -> !s.enqueued().isDone()).count();
    gate.complete(null);
    for (Ingress.Submitted s : submitted) {
      s.handled().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    assertThat(waitingWhileStuck).as("submissions beyond the buffer and the router's one wait").isGreaterThanOrEqualTo(6);
    assertThat(seen).containsExactly("m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
  }

  @Test
  void aSubmissionBeyondTheWaitingBoundFailsWithTheReasonAndTheOthersGoThrough() throws Exception {
    CompletableFuture<Void> gate = new CompletableFuture<>();
    Ingress ingress = Ingress.start(mat, 1, 2, Flow.<Ingress.Envelope>create()
        .mapAsync(1, e -> gate.thenApply(v -> e.handled().complete(Done.getInstance())))
        .toMat(Sink.ignore(), Keep.right()));

    List<Ingress.Submitted> submitted = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      submitted.add(ingress.submit(msg(i)));
    }
    List<Ingress.Submitted> refused = submitted.stream().filter(s -> s.enqueued().isCompletedExceptionally()).toList();
    gate.complete(null);

    assertThat(refused).as("at most the router's one, the buffer's one and two waiting are taken").hasSizeGreaterThanOrEqualTo(4);
    assertThat(refused.get(0).enqueued()).failsWithin(Duration.ofSeconds(1)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("2 submissions already wait for room");
    for (Ingress.Submitted s : submitted) {
      if (!refused.contains(s)) {
        assertThat(s.handled()).succeedsWithin(Duration.ofSeconds(5));
      }
    }
  }

  @Test
  void anOfferWaitsForTheRouterAndFailsWhenTheRouterFailsTheMessage() throws Exception {
    List<Ingress.Envelope> held = java.util.Collections.synchronizedList(new ArrayList<>());
    Ingress ingress = Ingress.start(mat, 4, 8, Sink.foreach(held::add));

    CompletableFuture<Done> offer = ingress.offer(msg(1)).toCompletableFuture();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 1);
    boolean doneBeforeTheRouter = offer.isDone();
    held.get(0).handled().completeExceptionally(new IllegalStateException("disk full"));

    assertThat(doneBeforeTheRouter).as("the offer waits for the router, not just for the queue").isFalse();
    assertThat(offer).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("disk full");
  }

  @Test
  void aSubmittedMessageIsEnqueuedBeforeItIsHandledSoASenderCanSubmitItsNextMeanwhile() throws Exception {
    List<Ingress.Envelope> held = java.util.Collections.synchronizedList(new ArrayList<>());
    Ingress ingress = Ingress.start(mat, 4, 8, Sink.foreach(held::add));

    Ingress.Submitted first = ingress.submit(msg(1));
    first.enqueued().toCompletableFuture().get(5, TimeUnit.SECONDS);
    Ingress.Submitted second = ingress.submit(msg(2));
    second.enqueued().toCompletableFuture().get(5, TimeUnit.SECONDS);
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> held.size() == 2);
    boolean handledBeforeTheRouter = first.handled().toCompletableFuture().isDone() || second.handled().toCompletableFuture().isDone();
    held.forEach(e -> e.handled().complete(Done.getInstance()));

    assertThat(handledBeforeTheRouter).as("handled waits for the router").isFalse();
    assertThat(held).extracting(e -> new String(e.message().body())).containsExactly("m1", "m2");
    assertThat(second.handled()).succeedsWithin(Duration.ofSeconds(5));
  }

  @Test
  void aSubmissionIsEnqueuedOnTheStreamsOwnThreadsNotOnTheJvmsDefaultExecutor() throws Exception {
    // Pekko's futures run plain callbacks on the JVM's default executor: the common pool, or on
    // fewer than 3 cores a new thread per callback, once per message. The ingress must not.
    // The router holds the first message until the gate opens, so the buffer fills and the later
    // enqueues complete only then, on the stream's thread, after their callbacks were registered.
    CompletableFuture<Void> gate = new CompletableFuture<>();
    Ingress ingress = Ingress.start(mat, 2, 8,
        Sink.<Ingress.Envelope>foreachAsync(1, e -> gate.thenRun(() -> e.handled().complete(Done.getInstance()))));
    List<String> threads = java.util.Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Done>> handled = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Ingress.Submitted submitted = ingress.submit(msg(i));
      submitted.enqueued().toCompletableFuture().whenComplete((d, t) -> threads.add(Thread.currentThread().getName()));
      handled.add(submitted.handled().toCompletableFuture());
    }
    gate.complete(null);
    CompletableFuture.allOf(handled.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);

    assertThat(threads).as("threads that completed the enqueue (the test thread when it was already done)")
        .allMatch(name -> name.startsWith("IngressTest-pekko") || name.equals(Thread.currentThread().getName()));
    assertThat(threads).anyMatch(name -> name.startsWith("IngressTest-pekko"));
  }

  @Test
  void aMessageTheClosedIngressDidNotTakeFailsBothMilestones() throws Exception {
    Ingress ingress = Ingress.start(mat, 2, 2, Sink.ignore());
    ingress.close().toCompletableFuture().get(5, TimeUnit.SECONDS);

    Ingress.Submitted late = ingress.submit(msg(1));

    assertThat(late.enqueued()).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("closed");
    assertThat(late.handled()).failsWithin(Duration.ofSeconds(5));
  }

  @Test
  void offersAfterCloseFailWithAReason() throws Exception {
    Ingress ingress = Ingress.start(mat, 2, 2, Sink.ignore());
    ingress.close().toCompletableFuture().get(5, TimeUnit.SECONDS);

    CompletableFuture<Done> late = ingress.offer(msg(1)).toCompletableFuture();

    assertThat(late).failsWithin(Duration.ofSeconds(5));
  }
}

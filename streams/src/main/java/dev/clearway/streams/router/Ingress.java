package dev.clearway.streams.router;

import dev.clearway.routes.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The router's bounded ingress: connections submit messages here and hold the device's
 * acknowledgement until the message is handled — stored in every queue it was routed to, or found
 * to have no route. A connection may have several messages on their way (the router keeps their
 * order), but submits the next only once the previous one has been {@linkplain Submitted#enqueued()
 * enqueued}.
 *
 * <p>A submission is taken on the submitter's thread when there is room (no hand-off, no wait):
 * {@link Submitted#enqueuedNow()}. When {@code bufferSize} messages wait for the router, the
 * submission waits for room instead, so the submitting connection stops reading from its device;
 * each message the router takes lets the oldest waiting one in. Waiting submissions are bounded too
 * ({@code maxPendingOffers}, one per connection at most; beyond it a submission fails), so nothing
 * here grows without limit.
 */
public final class Ingress {
  private final BoundedSourceQueue<Envelope> queue;
  private final CompletionStage<Done> done;
  private final int maxPendingOffers;
  /** Submissions waiting for room, oldest first; guarded by itself. */
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  /** {@code waiting.size()}, readable without the lock (the router's thread looks at it per message). */
  private volatile int waitingCount;

  /**
   * A message on its way through the router, and the promise its sender waits on. The router
   * completes {@link #handled()} once the message is safe (or routed nowhere), or fails it.
   */
  public record Envelope(Message message, CompletableFuture<Done> handled) {}

  /** A submission waiting for room, and the promise of its enqueueing. */
  private record Waiting(Envelope envelope, CompletableFuture<Done> enqueued) {}

  private Ingress(Materializer materializer, int bufferSize, int maxPendingOffers, Sink<Envelope, CompletionStage<Done>> router) {
    this.maxPendingOffers = maxPendingOffers;
    Pair<BoundedSourceQueue<Envelope>, CompletionStage<Done>> pair = Source.<Envelope>queue(bufferSize)
        // The router took a message: there is room for the oldest waiting one.
        .map(envelope -> {
          if (waitingCount > 0) {
            admitWaiting();
          }
          return envelope;
        })
        .toMat(router, Keep.both())
        .run(materializer);
    this.queue = pair.first();
    this.done = pair.second();
  }

  /**
   * Starts the ingress feeding {@code router}, which must complete every envelope's promise.
   *
   * @param bufferSize messages held for the router before submissions wait
   * @param maxPendingOffers submissions that may wait at once (at least the number of connections)
   */
  public static Ingress start(Materializer materializer, int bufferSize, int maxPendingOffers, Sink<Envelope, CompletionStage<Done>> router) {
    return new Ingress(materializer, bufferSize, maxPendingOffers, router);
  }

  /**
   * A submitted message's two milestones: {@code enqueued} once the ingress holds it (the sender may
   * submit its next message), {@code handled} once the router has stored it or found no route for
   * it (the sender may acknowledge it). Either fails when the ingress cannot take or handle it; a
   * message that was not enqueued is never handled.
   */
  public record Submitted(CompletableFuture<Done> enqueued, CompletionStage<Done> handled) {
    /** Whether the ingress took the message at once, on the submitting thread. */
    public boolean enqueuedNow() {
      return enqueued.isDone() && !enqueued.isCompletedExceptionally();
    }
  }

  /** Submits a message; see {@link Submitted}. */
  public Submitted submit(Message message) {
    Envelope envelope = new Envelope(message, new CompletableFuture<>());
    CompletableFuture<Done> enqueued = new CompletableFuture<>();
    // Behind waiting submissions, a new one waits too: room goes to the oldest first.
    QueueOfferResult result = waitingCount > 0 ? QueueOfferResult.dropped() : queue.offer(envelope);
    if (result == QueueOfferResult.enqueued()) {
      enqueued.complete(Done.getInstance());
    } else if (result == QueueOfferResult.dropped()) {
      waitForRoom(envelope, enqueued);
    } else {
      enqueued.completeExceptionally(new IllegalStateException(refusal(result)));
    }
    return new Submitted(enqueued, enqueued.thenCompose(e -> envelope.handled()));
  }

  /** Submits a message and waits for nothing but its handling: completes once the router handled it. */
  public CompletionStage<Done> offer(Message message) {
    return submit(message).handled();
  }

  /** Stops taking messages; completes when everything offered so far has been handled by the router. */
  public CompletionStage<Done> close() {
    queue.complete();
    admitWaiting(); // fails what still waits: the queue is closed
    return done;
  }

  private void waitForRoom(Envelope envelope, CompletableFuture<Done> enqueued) {
    synchronized (waiting) {
      if (waiting.size() >= maxPendingOffers) {
        enqueued.completeExceptionally(new IllegalStateException(
            "the ingress is full and " + maxPendingOffers + " submissions already wait for room"));
        return;
      }
      waiting.addLast(new Waiting(envelope, enqueued));
      waitingCount = waiting.size();
    }
    // The router may have taken everything between the offer and now: then nothing else would let it in.
    admitWaiting();
  }

  /** Lets waiting submissions in, oldest first, while there is room; fails them if the queue closed. */
  private void admitWaiting() {
    List<Waiting> admitted = new ArrayList<>();
    List<QueueOfferResult> results = new ArrayList<>();
    synchronized (waiting) {
      while (!waiting.isEmpty()) {
        QueueOfferResult result = queue.offer(waiting.peekFirst().envelope());
        if (result == QueueOfferResult.dropped()) {
          break;
        }
        admitted.add(waiting.pollFirst());
        results.add(result);
      }
      waitingCount = waiting.size();
    }
    // Outside the lock: completing runs the submitters' continuations.
    for (int i = 0; i < admitted.size(); i++) {
      QueueOfferResult result = results.get(i);
      if (result == QueueOfferResult.enqueued()) {
        admitted.get(i).enqueued().complete(Done.getInstance());
      } else {
        admitted.get(i).enqueued().completeExceptionally(new IllegalStateException(refusal(result)));
      }
    }
  }

  private static String refusal(QueueOfferResult result) {
    if (result == QueueOfferResult.closed() || result instanceof QueueOfferResult.Failure) {
      return "the ingress is closed";
    }
    return "the ingress did not take the message: " + result;
  }
}

package dev.clearway.streams.router;

import dev.clearway.routes.Message;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.StreamDetachedException;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;

/**
 * The router's bounded ingress: connections submit messages here and hold the device's
 * acknowledgement until the message is handled — stored in every queue it was routed to, or found
 * to have no route. A connection may have several messages on their way (the router keeps their
 * order), but submits the next only once the previous one has been {@linkplain Submitted#enqueued()
 * enqueued}.
 *
 * <p>Backpressure: when {@code bufferSize} messages wait for the router, an enqueue waits for room,
 * so the submitting connection stops reading from its device. Waiting enqueues are bounded too
 * ({@code maxPendingOffers}, one per connection at most), so nothing here grows without limit.
 */
public final class Ingress {
  private final SourceQueueWithComplete<Envelope> queue;
  private final CompletionStage<Done> done;

  /**
   * A message on its way through the router, and the promise its sender waits on. The router
   * completes {@link #handled()} once the message is safe (or routed nowhere), or fails it.
   */
  public record Envelope(Message message, CompletableFuture<Done> handled) {}

  private Ingress(SourceQueueWithComplete<Envelope> queue, CompletionStage<Done> done) {
    this.queue = queue;
    this.done = done;
  }

  /**
   * Starts the ingress feeding {@code router}, which must complete every envelope's promise.
   *
   * @param bufferSize messages held for the router before offers wait
   * @param maxPendingOffers offers that may wait at once (at least the number of connections)
   */
  public static Ingress start(Materializer materializer, int bufferSize, int maxPendingOffers, Sink<Envelope, CompletionStage<Done>> router) {
    var pair = Source.<Envelope>queue(bufferSize, OverflowStrategy.backpressure(), maxPendingOffers)
        .toMat(router, Keep.both())
        .run(materializer);
    return new Ingress(pair.first(), pair.second());
  }

  /**
   * A submitted message's two milestones: {@code enqueued} once the ingress holds it (the sender may
   * submit its next message), {@code handled} once the router has stored it or found no route for
   * it (the sender may acknowledge it). Either fails when the ingress cannot take or handle it; a
   * message that was not enqueued is never handled.
   */
  public record Submitted(CompletionStage<Done> enqueued, CompletionStage<Done> handled) {}

  /** Submits a message; see {@link Submitted}. */
  public Submitted submit(Message message) {
    Envelope envelope = new Envelope(message, new CompletableFuture<>());
    CompletableFuture<Done> enqueued = new CompletableFuture<>();
    // Pekko's CompletionStages (Scala futures converted) run their non-async callbacks on the
    // JVM's default executor, which on a machine with fewer than 3 cores is a new thread per
    // callback: this continuation is cheap, so it runs on the thread that completes the offer.
    queue.offer(envelope).whenCompleteAsync((result, thrown) -> {
      Throwable failure = thrown instanceof CompletionException c && c.getCause() != null ? c.getCause() : thrown;
      if (failure == null && result.isEnqueued()) {
        enqueued.complete(Done.getInstance());
        return;
      }
      String why = failure instanceof StreamDetachedException || result == QueueOfferResult.closed() ? "the ingress is closed"
          : failure != null ? failure.getMessage()
          : result instanceof QueueOfferResult.Failure f ? f.cause().getMessage() : "the ingress dropped the message";
      enqueued.completeExceptionally(new IllegalStateException(why));
    }, Runnable::run);
    return new Submitted(enqueued, enqueued.thenCompose(e -> envelope.handled()));
  }

  /** Submits a message and waits for nothing but its handling: completes once the router handled it. */
  public CompletionStage<Done> offer(Message message) {
    return submit(message).handled();
  }

  /** Stops taking messages; completes when everything offered so far has been handled by the router. */
  public CompletionStage<Done> close() {
    queue.complete();
    return done;
  }
}

package dev.clearway.streams.router;

import dev.clearway.routes.Message;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;

/**
 * The router's bounded ingress: connections offer messages here, one at a time each, and hold the
 * device's acknowledgement until the offer completes — which is when the router downstream has
 * handled the message (stored it in every queue it was routed to, or found no route for it).
 *
 * <p>Backpressure: when {@code bufferSize} messages wait for the router, an offer waits for room,
 * so the offering connection stops reading from its device. Pending offers are bounded too
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

  /** Offers a message; completes once the router handled it, exceptionally when it cannot. */
  public CompletionStage<Done> offer(Message message) {
    Envelope envelope = new Envelope(message, new CompletableFuture<>());
    return queue.offer(envelope).thenCompose(result -> {
      if (result.isEnqueued()) {
        return envelope.handled();
      }
      String why = result instanceof QueueOfferResult.Failure f ? f.cause().getMessage()
          : result == QueueOfferResult.closed() ? "the ingress is closed" : "the ingress dropped the message";
      return CompletableFuture.failedFuture(new IllegalStateException(why));
    });
  }

  /** Stops taking messages; completes when everything offered so far has been handled by the router. */
  public CompletionStage<Done> close() {
    queue.complete();
    return done;
  }
}

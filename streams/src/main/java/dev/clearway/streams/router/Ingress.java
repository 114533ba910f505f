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
 * device's acknowledgement until the offer completes.
 *
 * <p>Backpressure: when {@code bufferSize} messages wait for the router, an offer does not complete
 * until there is room, so the offering connection stops reading from its device. Pending offers are
 * bounded too ({@code maxPendingOffers}, one per connection at most), so nothing here grows without
 * limit. An offer that completes means the ingress has the message; until the store lands this is
 * in memory only.
 */
public final class Ingress {
  private final SourceQueueWithComplete<Message> queue;
  private final CompletionStage<Done> done;

  private Ingress(SourceQueueWithComplete<Message> queue, CompletionStage<Done> done) {
    this.queue = queue;
    this.done = done;
  }

  /**
   * Starts the ingress feeding {@code downstream}.
   *
   * @param bufferSize messages held for the router before offers wait
   * @param maxPendingOffers offers that may wait at once (at least the number of connections)
   */
  public static Ingress start(Materializer materializer, int bufferSize, int maxPendingOffers, Sink<Message, CompletionStage<Done>> downstream) {
    var pair = Source.<Message>queue(bufferSize, OverflowStrategy.backpressure(), maxPendingOffers)
        .toMat(downstream, Keep.both())
        .run(materializer);
    return new Ingress(pair.first(), pair.second());
  }

  /** Offers a message; completes when the ingress took it, exceptionally when it cannot. */
  public CompletionStage<Done> offer(Message message) {
    return queue.offer(message).thenCompose(result -> {
      if (result.isEnqueued()) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      String why = result instanceof QueueOfferResult.Failure f ? f.cause().getMessage()
          : result == QueueOfferResult.closed() ? "the ingress is closed" : "the ingress dropped the message";
      return CompletableFuture.failedFuture(new IllegalStateException(why));
    });
  }

  /** Stops taking messages; completes when everything offered so far has reached the router. */
  public CompletionStage<Done> close() {
    queue.complete();
    return done;
  }
}

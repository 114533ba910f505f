package dev.clearway.streams.router;

import dev.clearway.routes.Message;
import dev.clearway.routes.RouteSet;
import dev.clearway.routes.RoutedEndpoint;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.StoredRef;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * The router stage: evaluates the current route set against each message and appends it to the
 * store, once, with a reference in the queue of every endpoint (and priority) it was routed to.
 * Only then is the envelope's promise completed — so a device's PUBACK means "stored durably".
 *
 * <p>At most {@code parallelism} appends are in flight; when the store is full its appends wait,
 * this stage stops pulling, the ingress fills, and the devices' acknowledgements wait in turn.
 */
public final class Router {
  private Router() {}

  /**
   * @param routes the route set in force (read for every message, so a new set applies at once)
   * @param parallelism appends in flight at once
   * @param handled told of every message and what became of it ({@link StoredRef#NOT_STORED}: no route)
   */
  public static Sink<Ingress.Envelope, CompletionStage<Done>> storing(Supplier<RouteSet> routes, MessageStore store, int parallelism,
      BiConsumer<Message, StoredRef> handled) {
    return Flow.<Ingress.Envelope>create()
        .mapAsync(parallelism, envelope -> {
          Message message = envelope.message();
          List<RoutedEndpoint> endpoints = routes.get().endpointsFor(message);
          // The store completes on its writer thread: only non-blocking work is chained here.
          return store.append(message, endpoints).handle((ref, failure) -> {
            if (failure != null) {
              envelope.handled().completeExceptionally(failure);
            } else {
              handled.accept(message, ref);
              envelope.handled().complete(Done.getInstance());
            }
            return Done.getInstance();
          });
        })
        .toMat(Sink.ignore(), Keep.right());
  }
}

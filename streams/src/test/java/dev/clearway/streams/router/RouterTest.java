package dev.clearway.streams.router;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.RouteLanguageSettings;
import dev.clearway.routes.RouteSet;
import dev.clearway.routes.RouteSpec;
import dev.clearway.streams.store.MessageStore;
import dev.clearway.streams.store.StoreSettings;
import dev.clearway.streams.store.StoredRef;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouterTest {
  private static final ActorSystem system = ActorSystem.create("RouterTest");
  private static final Materializer mat = Materializer.matFromSystem(system);
  @TempDir Path dir;

  @AfterAll
  static void stop() {
    system.terminate();
  }

  @Test
  void anOfferCompletesOnlyOnceTheMessageIsInTheStoreQueueOfEveryRoutedEndpoint() throws Exception {
    RouteSet routes = RouteSet.compile(List.of(
        new RouteSpec("hot", "FROM /messages/* WHERE temp = 'hot' INTO BrokeredEndpoint(\"/modules/alerts/inputs/in\")", 0, Duration.ZERO),
        new RouteSpec("all", "FROM /messages/* WHERE temp != 'ignore' INTO $upstream", RouteSpec.BARE_PRIORITY, Duration.ZERO)),
        Duration.ofHours(2), RouteLanguageSettings.DEFAULTS);
    List<StoredRef> outcomes = new CopyOnWriteArrayList<>();
    try (MessageStore store = MessageStore.open(dir.resolve("store"),
        StoreSettings.create(ConfigFactory.defaultReference().resolve()))) {
      Ingress ingress = Ingress.start(mat, 8, 8, Router.storing(() -> routes, store, 4, (m, ref) -> outcomes.add(ref)));

      ingress.offer(Message.builder().property("temp", "hot").body("1").build()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      ingress.offer(Message.builder().property("temp", "mild").body("2").build()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      ingress.offer(Message.builder().property("temp", "ignore").body("3").build()).toCompletableFuture().get(10, TimeUnit.SECONDS);

      assertThat(store.next(new Endpoint.Upstream(), 10, 1 << 20)).extracting(s -> new String(s.message().body())).containsExactly("1", "2");
      assertThat(store.next(new Endpoint.ModuleInput("alerts", "in"), 10, 1 << 20)).extracting(s -> new String(s.message().body()))
          .containsExactly("1");
      assertThat(outcomes).extracting(StoredRef::stored).containsExactly(true, true, false);
      ingress.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}

package dev.clearway.streams.mqtt;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** One actor system per test class to materialize streams in, and a way to run a flow to a list. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StreamTestKit {

  /** How long a test stream may take before the test fails instead of hanging. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  ActorSystem system;

  @BeforeAll
  void startSystem() {
    system = ActorSystem.create(getClass().getSimpleName());
  }

  @AfterAll
  void stopSystem() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Runs the source through the flow and collects everything it emits until it completes. */
  <I, O> List<O> run(Source<I, ?> source, Flow<I, O, ?> flow) throws Exception {
    return source.via(flow).runWith(Sink.seq(), system).toCompletableFuture()
        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }
}

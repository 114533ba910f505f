package dev.clearway.streams.store;

import static dev.clearway.streams.store.StoreFixtures.FILTER;
import static dev.clearway.streams.store.StoreFixtures.UPSTREAM;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A real process crash: the store's writer JVM is killed with SIGKILL in the middle of appending. */
class MessageStoreCrashTest {
  @TempDir Path dir;

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void everyAppendThatCompletedBeforeAKill9SurvivesItWithSyncOff() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        CrashChild.class.getName(), dir.resolve("store").toString(), "256")
        .redirectError(ProcessBuilder.Redirect.INHERIT);
    Process child = pb.start();
    Set<Long> completed = new HashSet<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      // Kill mid-stream: after a good number of completed appends, while more are in flight.
      String line;
      while (completed.size() < 3000 && (line = in.readLine()) != null) {
        if (line.startsWith("completed ")) {
          completed.add(Long.parseLong(line.substring("completed ".length()).trim()));
        }
      }
      // SIGKILL while appends are in flight. (Lines the pipe still holds are lost with the stream,
      // which only makes the checked set smaller, never wrong.)
      child.destroyForcibly();
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(child.isAlive()).isFalse();
    assertThat(child.exitValue()).isNotZero(); // killed, not a clean exit
    assertThat(completed).hasSizeGreaterThanOrEqualTo(3000);

    try (MessageStore store = MessageStore.open(dir.resolve("store"), StoreFixtures.settings())) {
      Set<Long> upstream = sequences(store.next(UPSTREAM, Integer.MAX_VALUE, Long.MAX_VALUE));
      Set<Long> filter = sequences(store.next(FILTER, Integer.MAX_VALUE, Long.MAX_VALUE));
      assertThat(upstream).containsAll(completed);
      assertThat(filter).containsAll(completed);
      // An append is one batch with its references: never a message in one queue and not the other.
      assertThat(upstream).isEqualTo(filter);
      long next = store.append(StoreFixtures.message("after"), List.of(StoreFixtures.to(UPSTREAM, 0)))
          .toCompletableFuture().join().sequence();
      assertThat(next).isGreaterThan(upstream.stream().mapToLong(Long::longValue).max().orElse(0));
    }
  }

  private static Set<Long> sequences(List<StoredMessage> ms) {
    return ms.stream().map(m -> m.position().sequence()).collect(Collectors.toSet());
  }

}

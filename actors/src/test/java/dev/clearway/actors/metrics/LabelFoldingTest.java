package dev.clearway.actors.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The bound on a label's distinct values. */
class LabelFoldingTest {

  @Test
  void theFirstValuesUpToTheBoundKeepTheirNameAndLaterOnesAreOther() {
    LabelFolding folding = new LabelFolding(2);

    assertThat(folding.fold("sensor-1")).isEqualTo("sensor-1");
    assertThat(folding.fold("sensor-2")).isEqualTo("sensor-2");
    assertThat(folding.fold("sensor-3")).isEqualTo(LabelFolding.OTHER);
    // Admitted values stay themselves; the late one stays folded.
    assertThat(folding.fold("sensor-1")).isEqualTo("sensor-1");
    assertThat(folding.fold("sensor-3")).isEqualTo(LabelFolding.OTHER);
    assertThat(folding.admitted()).isEqualTo(2);
  }

  @Test
  void aBoundOfZeroFoldsEverything() {
    LabelFolding folding = new LabelFolding(0);
    assertThat(folding.fold("sensor-1")).isEqualTo(LabelFolding.OTHER);
    assertThat(folding.admitted()).isZero();
    assertThatThrownBy(() -> new LabelFolding(-1)).hasMessage("max must not be negative, was -1");
  }

  @Test
  void manyThreadsAtOnceAdmitExactlyTheBound() throws Exception {
    LabelFolding folding = new LabelFolding(50);
    Set<String> reported = ConcurrentHashMap.newKeySet();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = IntStream.range(0, 8).mapToObj(t -> new Thread(() -> {
      try {
        go.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      for (int i = 0; i < 1000; i++) {
        reported.add(folding.fold("device-" + ((i * 7 + t) % 400)));
      }
    })).toList();
    threads.forEach(Thread::start);
    go.countDown();
    for (Thread t : threads) {
      t.join();
    }

    Set<String> named = new HashSet<>(reported);
    named.remove(LabelFolding.OTHER);
    assertThat(folding.admitted()).isEqualTo(50);
    assertThat(named).hasSize(50);
    assertThat(reported).contains(LabelFolding.OTHER);
  }
}

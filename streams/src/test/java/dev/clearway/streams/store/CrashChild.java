package dev.clearway.streams.store;

import static dev.clearway.streams.store.StoreFixtures.FILTER;
import static dev.clearway.streams.store.StoreFixtures.UPSTREAM;
import static dev.clearway.streams.store.StoreFixtures.message;
import static dev.clearway.streams.store.StoreFixtures.to;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The child JVM of {@link MessageStoreCrashTest}: appends messages with {@code sync = false} until
 * it is killed, printing each sequence once its append completed — the moment a device would be
 * acknowledged (as {@code completed <sequence>}; other lines, e.g. logging, are not protocol). Arguments: the store directory, how many appends may be in flight.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Semaphore inFlight = new Semaphore(Integer.parseInt(args[1]));
    PrintStream out = System.out;
    MessageStore store = MessageStore.open(dir, StoreFixtures.settings());
    for (int i = 0; ; i++) {
      inFlight.acquire();
      store.append(message("m" + i), List.of(to(UPSTREAM, i % 3), to(FILTER, 0))).whenComplete((ref, e) -> {
        inFlight.release();
        if (e == null) {
          // Printed only after the append completed: the parent may count it as acknowledged.
          synchronized (out) {
            out.println("completed " + ref.sequence());
            out.flush();
          }
        }
      });
    }
  }
}

package dev.clearway.streams.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One selector thread: it waits for socket events, accepts, finishes connects and reads, and runs
 * the tasks other threads hand it (registrations and interest changes, which a {@link Selector}
 * takes only from its own thread without a race). Writes do not come here: the stream that owns a
 * connection writes to its socket itself, and asks for a write event only when the socket's buffer
 * is full.
 *
 * <p>The task queue is bounded by the connections: each has at most one registration, one resume
 * of reading, one request for a write event and one close pending at a time.
 */
final class SelectorLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SelectorLoop.class);

  /** What a registered channel's key carries: called on the selector thread when it is ready. */
  interface Ready {
    void ready(SelectionKey key);

    /** The loop closed the channel ({@code cause} says why: it stopped, or this handler failed); tell its owner. */
    void closedByLoop(IOException cause);
  }

  private final Selector selector;
  private final Thread thread;
  private final ByteBuffer readBuffer;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean wakeupPending = new AtomicBoolean();
  private volatile boolean running = true;

  SelectorLoop(String name, int readBufferSize) throws IOException {
    this.selector = Selector.open();
    this.readBuffer = ByteBuffer.allocateDirect(readBufferSize);
    this.thread = new Thread(this, name);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  Selector selector() {
    return selector;
  }

  /** The buffer reads go into; only for the selector thread, and only until the read's bytes are copied. */
  ByteBuffer readBuffer() {
    return readBuffer;
  }

  /**
   * Closes, now, the sockets of the channels closed since the last select: a channel registered
   * with a selector keeps its socket open until the selector's next select (the JDK defers it), so a
   * closed listening socket would still accept connections until then. Only on the selector thread;
   * what becomes ready meanwhile is handled in this turn of the loop, after its tasks.
   */
  void releaseClosed() {
    try {
      selector.selectNow();
    } catch (IOException e) {
      log.debug("TCP: releasing closed sockets: {}", e.toString());
    }
    // selectNow consumed any wakeup another thread made for a task it queued meanwhile: the next
    // select must not block over that task.
    selector.wakeup();
  }

  /** Runs {@code task} on the selector thread, after the tasks handed in before it. */
  void execute(Runnable task) {
    tasks.add(task);
    if (Thread.currentThread() != thread && wakeupPending.compareAndSet(false, true)) {
      selector.wakeup();
    }
  }

  @Override
  public void run() {
    while (running) {
      try {
        selector.select();
        wakeupPending.set(false);
        Runnable task;
        while ((task = tasks.poll()) != null) {
          runSafely(task);
        }
        Iterator<SelectionKey> selected = selector.selectedKeys().iterator();
        while (selected.hasNext()) {
          SelectionKey key = selected.next();
          selected.remove();
          if (key.isValid() && key.attachment() instanceof Ready r) {
            try {
              r.ready(key);
            } catch (RuntimeException e) {
              log.error("TCP: a connection's event handler failed; closing it: {}", e.toString(), e);
              closeQuietly(key);
              r.closedByLoop(new IOException("the connection's event handler failed: " + e, e));
            }
          }
        }
      } catch (IOException | ClosedSelectorException e) {
        if (running) {
          log.error("TCP: the selector failed; its connections are closed: {}", e.toString());
          running = false;
        }
      }
    }
    for (SelectionKey key : selector.keys()) {
      closeQuietly(key);
      if (key.attachment() instanceof Ready r) {
        r.closedByLoop(new IOException("the TCP transport was closed"));
      }
    }
    try {
      selector.close();
    } catch (IOException e) {
      log.debug("TCP: closing a selector: {}", e.toString());
    }
  }

  private static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("TCP: a selector task failed: {}", e.toString(), e);
    }
  }

  private static void closeQuietly(SelectionKey key) {
    try {
      key.channel().close();
    } catch (IOException e) {
      log.debug("TCP: closing a channel: {}", e.toString());
    }
  }

  /** Stops the loop, closing every channel still registered; waits for the thread up to {@code millis}. */
  void close(long millis) throws InterruptedException {
    running = false;
    selector.wakeup();
    thread.join(millis);
  }
}

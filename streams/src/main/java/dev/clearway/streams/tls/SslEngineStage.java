package dev.clearway.streams.tls;

import static javax.net.ssl.SSLEngineResult.HandshakeStatus.FINISHED;
import static javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_TASK;
import static javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_UNWRAP;
import static javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_WRAP;
import static javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * TLS over an {@link SSLEngine} as one graph stage (see {@link TlsFlow} for the contract). Between
 * events it holds no {@link ByteBuffer}: each wrap or unwrap borrows its buffers from a
 * {@link TlsBufferPool} and gives them back before the handler returns. What it keeps is
 * {@link ByteString}s: the ciphertext of a partial record, and at most one element in each direction
 * waiting for its downstream.
 *
 * <p>Everything happens in {@link Logic#pump}: it lets the engine do whatever it can with what it
 * has (run tasks, wrap, unwrap, close) until nothing moves, then pushes what is ready and pulls what
 * is needed. Backpressure: ciphertext is read only while the application wants plaintext (or the
 * engine needs the peer's handshake messages), and plaintext is taken from the application only
 * once the previous element's ciphertext has been taken by the network.
 *
 * <p>Delegated tasks (key agreement, signatures, certificate parsing: about a millisecond of CPU per
 * handshake, no I/O with the trust managers this gateway uses) run on {@code handshakeTasks} when
 * one is given, or inline on the stream's thread. On an executor of their own, a storm of new
 * connections queues its cryptography there, and the threads that serve established connections
 * and actors stay free for them; while a connection's tasks run, its engine is left alone (nothing
 * is wrapped or unwrapped) and its stream resumes when they are done.
 */
final class SslEngineStage extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {

  private static final ByteBuffer[] NO_BUFFERS = new ByteBuffer[0];
  private static final ByteString EMPTY = ByteString.emptyByteString();
  /** Wraps after a failure, to send the engine's alert: one or two records in practice. */
  private static final int MAX_ALERT_WRAPS = 4;

  private final Supplier<SSLEngine> engineFactory;
  private final Consumer<SSLSession> onEstablished;
  private final TlsBufferPool pool;
  /** Where the engine's delegated tasks run; null: inline. */
  private final Executor handshakeTasks;

  private final Inlet<ByteString> plainIn = Inlet.create("Tls.plainIn");
  private final Outlet<ByteString> cipherOut = Outlet.create("Tls.cipherOut");
  private final Inlet<ByteString> cipherIn = Inlet.create("Tls.cipherIn");
  private final Outlet<ByteString> plainOut = Outlet.create("Tls.plainOut");
  private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape =
      BidiShape.of(plainIn, cipherOut, cipherIn, plainOut);

  SslEngineStage(Supplier<SSLEngine> engineFactory, Consumer<SSLSession> onEstablished, TlsBufferPool pool, Executor handshakeTasks) {
    this.engineFactory = engineFactory;
    this.onEstablished = onEstablished;
    this.pool = pool;
    this.handshakeTasks = handshakeTasks;
  }

  @Override
  public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("tls");
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private final class Logic extends GraphStageLogic {
    private SSLEngine engine;
    /** Ciphertext from the network not yet unwrapped: a partial record while waiting for more. */
    private ByteString received = EMPTY;
    /** {@code received} holds no whole record: nothing to unwrap until more arrives. */
    private boolean starved;
    /** Plaintext from the application not yet wrapped (at most one element). */
    private ByteString fromApp = EMPTY;
    /** Plaintext waiting for the application to pull. */
    private ByteString toApp = EMPTY;
    /** Ciphertext waiting for the network to pull. */
    private ByteString toNetwork = EMPTY;
    /** The first handshake finished and {@code onEstablished} was told. */
    private boolean established;
    /** The application's side completed: close_notify follows its last bytes. */
    private boolean closeRequested;
    private boolean outboundClosed;
    /** The network's side completed: no more ciphertext comes. */
    private boolean networkEnded;
    /** The engine failed (a handshake failure, a bad record): only the alert still goes out. */
    private SSLException failure;
    /** The handshake was begun: at once for a server, at the network's first pull for a client. */
    private boolean begun;
    /** The engine's delegated tasks run on {@code handshakeTasks}: leave the engine alone until they are done. */
    private boolean tasksRunning;
    /** Resumes the stream after the tasks; made at the first task, dropped once established (idle connections keep none). */
    private AsyncCallback<Void> tasksDone;

    Logic() {
      super(shape);
      setHandler(plainIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          fromApp = grab(plainIn);
          pump();
        }

        @Override
        public void onUpstreamFinish() {
          closeRequested = true;
          pump();
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          failStage(ex);
        }
      });
      setHandler(cipherIn, new AbstractInHandler() {
        @Override
        public void onPush() {
          ByteString chunk = grab(cipherIn);
          // After close_notify or a failure, what the peer sends is read (so the transport can see
          // its end) and dropped.
          if (failure == null && !engine.isInboundDone()) {
            received = received.isEmpty() ? chunk : received.concat(chunk);
            starved = false;
          }
          pump();
        }

        @Override
        public void onUpstreamFinish() {
          networkEnded = true;
          pump();
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          failStage(ex);
        }
      });
      setHandler(cipherOut, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (!begun && !outboundClosed) {
            begin();
          }
          pump();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          // The network will take nothing more; the inbound side may still deliver what arrived.
          toNetwork = EMPTY;
          fromApp = EMPTY;
          if (!isClosed(plainIn)) {
            cancel(plainIn);
          }
          pump();
        }
      });
      setHandler(plainOut, new AbstractOutHandler() {
        @Override
        public void onPull() {
          pump();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          // Not the end of the connection: the application's last bytes (a refusal, say) still
          // have to be encrypted and sent, so reading goes on and plaintext is dropped.
          toApp = EMPTY;
          pump();
        }
      });
    }

    @Override
    public void preStart() {
      engine = engineFactory.get();
      // A client's first flight (its key share: an elliptic-curve key pair) is made only once the
      // network asks for bytes, that is once the transport is connected: an uplink retrying an
      // unreachable hub does no cryptography for attempts that never reach it.
      if (!engine.getUseClientMode()) {
        begin();
      }
      pump();
    }

    private void begin() {
      begun = true;
      try {
        engine.beginHandshake();
      } catch (SSLException e) {
        onEngineFailure(e);
      }
    }

    private void pump() {
      if (failure == null) {
        try {
          while (step()) {
            // each step moved something; try again
          }
        } catch (SSLException e) {
          onEngineFailure(e);
        }
      }
      flush();
    }

    /** One thing the engine can do now; false when nothing moved. */
    private boolean step() throws SSLException {
      if (tasksRunning) {
        return false; // the engine is left alone until its tasks are done
      }
      SSLEngineResult.HandshakeStatus hs = engine.getHandshakeStatus();
      if (hs == NEED_TASK) {
        if (handshakeTasks == null || !runTasksElsewhere()) {
          runTasks(engine);
          return true;
        }
        return false;
      }
      if (wantsWrap(hs) && wrap()) {
        return true;
      }
      if (wantsUnwrap() && unwrap()) {
        return true;
      }
      if (closeRequested && !outboundClosed && fromApp.isEmpty()) {
        outboundClosed = true;
        engine.closeOutbound(); // the next wrap makes the close_notify
        return true;
      }
      return false;
    }

    /** Hands the engine's tasks to {@code handshakeTasks}; false when it refused them (it is shutting down). */
    private boolean runTasksElsewhere() {
      if (tasksDone == null) {
        tasksDone = createAsyncCallback(done -> {
          tasksRunning = false;
          pump();
        });
      }
      AsyncCallback<Void> resume = tasksDone;
      SSLEngine e = engine;
      tasksRunning = true;
      try {
        handshakeTasks.execute(() -> {
          try {
            runTasks(e); // a task's failure is kept by the engine: the next wrap or unwrap throws it
          } finally {
            resume.invoke(null);
          }
        });
        return true;
      } catch (RejectedExecutionException refused) {
        tasksRunning = false;
        return false;
      }
    }

    private boolean wantsWrap(SSLEngineResult.HandshakeStatus hs) {
      if (engine.isOutboundDone()) {
        return false;
      }
      if (hs == NEED_WRAP) {
        return true; // handshake messages, a key update, an alert or close_notify
      }
      // Application data only once the network has taken the previous element's records.
      return established && !fromApp.isEmpty() && toNetwork.isEmpty();
    }

    private boolean wantsUnwrap() {
      return !received.isEmpty() && !starved && !engine.isInboundDone() && (toApp.isEmpty() || isClosed(plainOut));
    }

    /** Wraps handshake data, or all of {@code fromApp} once established, into {@code toNetwork}. */
    private boolean wrap() throws SSLException {
      ByteBuffer[] srcs = established ? buffersOf(fromApp) : NO_BUFFERS;
      ByteBuffer dst = pool.acquire(engine.getSession().getPacketBufferSize());
      long consumed = 0;
      boolean moved = false;
      try {
        while (true) {
          SSLEngineResult r = engine.wrap(srcs, dst);
          if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
            dst = larger(dst, engine.getSession().getPacketBufferSize());
            continue;
          }
          consumed += r.bytesConsumed();
          if (r.bytesProduced() > 0) {
            dst.flip();
            if (!isClosed(cipherOut)) {
              toNetwork = toNetwork.concat(ByteString.fromByteBuffer(dst));
            }
            dst.clear();
            moved = true;
          }
          if (r.getHandshakeStatus() == FINISHED) {
            handshakeFinished();
            moved = true;
          }
          // One record per call: go on while application data is left and the engine is not handshaking.
          boolean more = r.getStatus() == SSLEngineResult.Status.OK && r.bytesConsumed() > 0 && hasRemaining(srcs)
              && (r.getHandshakeStatus() == NOT_HANDSHAKING || r.getHandshakeStatus() == FINISHED);
          if (!more) {
            break;
          }
        }
      } finally {
        pool.release(dst);
      }
      if (consumed > 0) {
        fromApp = fromApp.drop((int) consumed);
      }
      return moved || consumed > 0;
    }

    /**
     * Unwraps the whole records in {@code received} into {@code toApp}. The engine decrypts in place,
     * so the ciphertext is copied into a borrowed buffer (a window of at most one buffer at a time).
     */
    private boolean unwrap() throws SSLException {
      SSLSession session = engine.getSession();
      ByteBuffer src = pool.acquire(session.getPacketBufferSize());
      ByteBuffer dst = pool.acquire(session.getApplicationBufferSize());
      int consumed = 0;
      boolean moved = false;
      ByteString plain = EMPTY;
      try {
        int windowEnd = fill(src, consumed);
        while (true) {
          SSLEngineResult r = engine.unwrap(src, dst);
          consumed += r.bytesConsumed();
          SSLEngineResult.Status status = r.getStatus();
          if (status == SSLEngineResult.Status.BUFFER_OVERFLOW) {
            dst = larger(dst, engine.getSession().getApplicationBufferSize());
            continue;
          }
          if (status == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
            if (windowEnd == received.length()) {
              starved = true; // a partial record: wait for the network
              break;
            }
            if (src.position() == 0) {
              // The window is full and still not a whole record: the session allows larger records.
              src = larger(src, engine.getSession().getPacketBufferSize());
            }
            windowEnd = fill(src, consumed); // slide the window over the rest of what was received
            continue;
          }
          if (r.bytesProduced() > 0) {
            dst.flip();
            if (!isClosed(plainOut)) {
              plain = plain.concat(ByteString.fromByteBuffer(dst));
            }
            dst.clear();
            moved = true;
          }
          if (r.getHandshakeStatus() == FINISHED) {
            handshakeFinished();
            moved = true;
          }
          if (status == SSLEngineResult.Status.CLOSED) {
            break; // close_notify: the peer sends nothing more
          }
          SSLEngineResult.HandshakeStatus hs = r.getHandshakeStatus();
          if (hs == NEED_TASK || hs == NEED_WRAP || r.bytesConsumed() == 0) {
            break; // the engine wants something else first
          }
          if (!src.hasRemaining()) {
            if (windowEnd == received.length()) {
              break;
            }
            windowEnd = fill(src, consumed);
          }
        }
      } finally {
        pool.release(src);
        pool.release(dst);
      }
      if (engine.isInboundDone()) {
        received = EMPTY;
      } else {
        received = received.drop(consumed);
        if (starved) {
          received = received.compact(); // keep the partial record's bytes, not the chunk it came in
        }
      }
      if (!plain.isEmpty()) {
        toApp = toApp.concat(plain);
      }
      return moved || consumed > 0;
    }

    /** Copies {@code received} from {@code from} into {@code src}, as much as fits; returns the end index copied. */
    private int fill(ByteBuffer src, int from) {
      src.clear();
      int n = received.drop(from).copyToBuffer(src);
      src.flip();
      return from + n;
    }

    /** A buffer of at least {@code needed} (or twice the old one) in place of {@code old}, which goes back. */
    private ByteBuffer larger(ByteBuffer old, int needed) throws SSLException {
      int capacity = Math.max(needed, old.capacity() * 2);
      if (capacity > (1 << 20)) {
        throw new SSLException("a TLS record would need a buffer of " + capacity + " bytes");
      }
      pool.release(old);
      return pool.acquire(capacity);
    }

    private void handshakeFinished() {
      if (!established) {
        established = true;
        tasksDone = null;
        onEstablished.accept(engine.getSession()); // before any plaintext is pushed
      }
    }

    /** The engine failed: the application hears the cause; the peer gets the engine's alert, then the end. */
    private void onEngineFailure(SSLException e) {
      failure = e;
      received = EMPTY;
      fromApp = EMPTY;
      toApp = EMPTY;
      if (!isClosed(plainOut)) {
        fail(plainOut, e);
      }
      if (!isClosed(plainIn)) {
        cancel(plainIn);
      }
      try {
        engine.closeOutbound();
        for (int i = 0; i < MAX_ALERT_WRAPS && !engine.isOutboundDone(); i++) {
          if (!wrap()) {
            break;
          }
        }
      } catch (SSLException | RuntimeException ignored) {
        // the alert is a courtesy; the transport closes either way
      }
    }

    /**
     * Pushes what is ready, completes what is over, and pulls what is needed. While the engine's
     * tasks run elsewhere nothing is judged over: a task that refuses the handshake closes the
     * engine's inbound and outbound sides on its own thread before the stream learns of the
     * failure, which must reach the application as a failure, not as an end.
     */
    private void flush() {
      if (!toNetwork.isEmpty() && isAvailable(cipherOut)) {
        push(cipherOut, toNetwork);
        toNetwork = EMPTY;
      }
      if (!toApp.isEmpty() && isAvailable(plainOut)) {
        push(plainOut, toApp);
        toApp = EMPTY;
      }
      if (tasksRunning) {
        if (!isClosed(cipherIn) && !hasBeenPulled(cipherIn) && wantsNetworkData()) {
          pull(cipherIn); // the peer's next records wait here until the tasks are done
        }
        return;
      }
      if (!isClosed(cipherOut) && toNetwork.isEmpty() && (failure != null || engine.isOutboundDone())) {
        // close_notify (or the alert) has gone: the transport may close. The peer's close_notify is
        // not waited for (TLS 1.3 peers need not send one).
        complete(cipherOut);
        if (!isClosed(plainIn)) {
          cancel(plainIn);
        }
      }
      if (!isClosed(plainOut) && toApp.isEmpty() && inboundOver()) {
        complete(plainOut);
      }
      if (!isClosed(plainIn) && !hasBeenPulled(plainIn) && established && !outboundClosed
          && fromApp.isEmpty() && toNetwork.isEmpty()) {
        pull(plainIn);
      }
      if (!isClosed(cipherIn) && !hasBeenPulled(cipherIn) && wantsNetworkData()) {
        pull(cipherIn);
      }
    }

    /** No more plaintext can come: close_notify arrived, or the network ended with no whole record left. */
    private boolean inboundOver() {
      return engine.isInboundDone() || (networkEnded && (received.isEmpty() || starved));
    }

    private boolean wantsNetworkData() {
      if (failure != null || engine.isInboundDone()) {
        return true; // read and drop until the transport ends
      }
      if (!received.isEmpty() && !starved) {
        return false; // a whole record waits for the application to pull
      }
      if (!established || engine.getHandshakeStatus() == NEED_UNWRAP) {
        return true; // the handshake needs the peer's messages, whatever the application wants
      }
      return toApp.isEmpty() && (isAvailable(plainOut) || isClosed(plainOut));
    }
  }

  private static void runTasks(SSLEngine engine) {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }

  private static ByteBuffer[] buffersOf(ByteString bytes) {
    if (bytes.isEmpty()) {
      return NO_BUFFERS;
    }
    List<ByteBuffer> list = new ArrayList<>(1);
    bytes.getByteBuffers().forEach(list::add);
    return list.toArray(NO_BUFFERS);
  }

  private static boolean hasRemaining(ByteBuffer[] buffers) {
    for (ByteBuffer b : buffers) {
      if (b.hasRemaining()) {
        return true;
      }
    }
    return false;
  }
}

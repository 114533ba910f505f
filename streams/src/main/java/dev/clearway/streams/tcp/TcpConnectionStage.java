package dev.clearway.streams.tcp;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * One TCP connection as a flow: what it takes is written to the socket, what it emits was read
 * from it. The socket is registered with a {@link SelectorLoop}, whose thread reads it and hands
 * each read's bytes to this stage; this stage writes on its own thread, straight to the socket, and
 * asks the loop for a write event only when the socket takes less than it was given.
 *
 * <p>Backpressure: at most {@code maxPendingReads} reads wait here for downstream; then the loop
 * stops reading the socket (the peer's TCP window fills) until downstream takes one. Upstream is
 * pulled for the next bytes only once the last have all gone into the socket.
 *
 * <p>Ends: the peer's end of stream completes the output; without {@code halfClose} it also closes
 * the socket. The end of the input closes the socket once everything was written (with
 * {@code halfClose} and the peer's side still open, it only shuts the output down and reads on
 * until the peer closes). A failure of either side, or of the socket, closes it at once.
 */
final class TcpConnectionStage extends GraphStage<FlowShape<ByteString, ByteString>> {

  private final SelectorLoop loop;
  /** An accepted, connected socket; or null for an outgoing connection to {@link #connectTo}. */
  private final SocketChannel accepted;
  private final InetSocketAddress connectTo;
  private final Duration connectTimeout;
  private final boolean halfClose;
  private final int maxPendingReads;

  private final Inlet<ByteString> in = Inlet.create("Tcp.toNetwork");
  private final Outlet<ByteString> out = Outlet.create("Tcp.fromNetwork");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);

  private TcpConnectionStage(SelectorLoop loop, SocketChannel accepted, InetSocketAddress connectTo, Duration connectTimeout,
      boolean halfClose, int maxPendingReads) {
    this.loop = loop;
    this.accepted = accepted;
    this.connectTo = connectTo;
    this.connectTimeout = connectTimeout;
    this.halfClose = halfClose;
    this.maxPendingReads = maxPendingReads;
  }

  static TcpConnectionStage accepted(SelectorLoop loop, SocketChannel channel, boolean halfClose, int maxPendingReads) {
    return new TcpConnectionStage(loop, channel, null, null, halfClose, maxPendingReads);
  }

  static TcpConnectionStage outgoing(SelectorLoop loop, InetSocketAddress address, Duration connectTimeout, boolean halfClose,
      int maxPendingReads) {
    return new TcpConnectionStage(loop, null, address, connectTimeout, halfClose, maxPendingReads);
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public Attributes initialAttributes() {
    return Attributes.name("tcp");
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new Logic();
  }

  private static final Object CONNECT_TIMEOUT = "connect-timeout";
  private static final String BLOCKING_DISPATCHER = "pekko.actor.default-blocking-io-dispatcher";

  /** What happened to the socket, for the stream's thread. */
  private enum SocketEvent { CONNECTED, WRITABLE, PEER_CLOSED }

  /** The name lookup's outcome: the address, or why there is none. */
  private record Resolved(Object result) {}

  private final class Logic extends TimerGraphStageLogic implements SelectorLoop.Ready {
    private SocketChannel channel;
    /** Set on the selector thread once registered; read there only. */
    private SelectionKey key;
    /** Reads the loop may still hand over before it must pause: returned as downstream takes them. */
    private final AtomicInteger readCredits = new AtomicInteger(maxPendingReads);
    /** The loop stopped reading for want of credit (written on the selector thread). */
    private volatile boolean readPaused;
    /** No more reading: the peer ended its side, or downstream cancelled. */
    private volatile boolean readingDone;

    // The stage's own state, touched only on the stream's thread.
    private boolean connected;
    private final ArrayDeque<ByteString> reads = new ArrayDeque<>(2);
    private boolean peerClosed;
    private ByteBuffer writing;
    private boolean inputDone;
    private boolean outputShut;

    /**
     * What the selector thread (and the name lookup) tell the stream: the bytes read, a
     * {@link SocketEvent}, a failure, or the resolved address. One callback for all of them: every
     * connection holds it while it lives.
     */
    private final AsyncCallback<Object> fromLoop = createAsyncCallback(this::onLoopEvent);

    Logic() {
      super(shape);
      setHandler(in, new AbstractInHandler() {
        @Override
        public void onPush() {
          ByteString bytes = grab(in);
          writing = bytes.asByteBuffer();
          flush();
        }

        @Override
        public void onUpstreamFinish() {
          inputDone = true;
          if (writing == null) {
            endOutput();
          }
        }

        @Override
        public void onUpstreamFailure(Throwable ex) {
          failStage(ex);
        }
      });
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          ByteString next = reads.poll();
          if (next != null) {
            push(out, next);
            returnCredit();
          }
          if (reads.isEmpty() && peerClosed) {
            completeReading();
          }
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          readingDone = true;
          reads.clear();
          if (inputDone && writing == null) {
            completeStage();
          } // else what is still to be written goes out first
        }
      });
    }

    @Override
    public void preStart() {
      // Both ports may close before the socket is done with (the last bytes still being written):
      // every way out ends the stage explicitly.
      setKeepGoing(true);
      try {
        if (accepted != null) {
          channel = accepted;
          connected = true;
          register(SelectionKey.OP_READ);
          pull(in);
        } else {
          // The timeout covers the name's resolution too.
          scheduleOnce(CONNECT_TIMEOUT, connectTimeout);
          if (connectTo.isUnresolved()) {
            // A lookup may block: on Pekko's dispatcher for blocking work, not the stream's thread.
            Executor blocking = materializer().system().dispatchers().lookup(BLOCKING_DISPATCHER);
            String host = connectTo.getHostString();
            int port = connectTo.getPort();
            CompletableFuture.supplyAsync(() -> new InetSocketAddress(host, port), blocking)
                .whenComplete((address, failure) -> fromLoop.invoke(new Resolved(failure != null ? failure : address)));
          } else {
            connect(connectTo);
          }
        }
      } catch (IOException e) {
        failStage(e);
      }
    }

    private void onLoopEvent(Object event) {
      if (event instanceof ByteString bytes) {
        received(bytes);
      } else if (event == SocketEvent.WRITABLE) {
        flush();
      } else if (event == SocketEvent.PEER_CLOSED) {
        peerEnded();
      } else if (event == SocketEvent.CONNECTED) {
        connectedNow();
      } else if (event instanceof Throwable failure) {
        failStage(failure);
      } else if (event instanceof Resolved r) {
        resolved(r.result());
      }
    }

    private void resolved(Object result) {
      if (result instanceof InetSocketAddress address && !address.isUnresolved()) {
        try {
          connect(address);
        } catch (IOException e) {
          failStage(e);
        }
      } else {
        failStage(new UnknownHostException("cannot resolve " + connectTo.getHostString()
            + (result instanceof Throwable t ? ": " + t.getMessage() : "")));
      }
    }

    private void connect(InetSocketAddress address) throws IOException {
      channel = SocketChannel.open();
      channel.configureBlocking(false);
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      if (channel.connect(address)) {
        register(SelectionKey.OP_READ);
        connectedNow();
      } else {
        register(SelectionKey.OP_CONNECT);
      }
    }

    private void register(int ops) {
      SocketChannel c = channel;
      loop.execute(() -> {
        try {
          if (c.isOpen()) {
            key = c.register(loop.selector(), ops, this);
          }
        } catch (IOException e) {
          fromLoop.invoke(e);
        }
      });
    }

    @Override
    public void onTimer(Object timerKey) {
      if (!connected) {
        failStage(new ConnectException("connecting to " + connectTo + " timed out after " + connectTimeout));
      }
    }

    // --- on the selector thread ----------------------------------------------------------------

    @Override
    public void ready(SelectionKey k) {
      int ready = k.readyOps();
      if ((ready & SelectionKey.OP_CONNECT) != 0) {
        try {
          channel.finishConnect();
        } catch (IOException e) {
          k.cancel();
          fromLoop.invoke(e);
          return;
        }
        k.interestOps(SelectionKey.OP_READ);
        fromLoop.invoke(SocketEvent.CONNECTED);
        return;
      }
      if ((ready & SelectionKey.OP_WRITE) != 0) {
        k.interestOps(k.interestOps() & ~SelectionKey.OP_WRITE);
        fromLoop.invoke(SocketEvent.WRITABLE);
      }
      if ((ready & SelectionKey.OP_READ) != 0) {
        read(k);
      }
    }

    private void read(SelectionKey k) {
      if (readingDone) {
        k.interestOps(k.interestOps() & ~SelectionKey.OP_READ);
        return;
      }
      if (readCredits.get() <= 0) {
        readPaused = true;
        k.interestOps(k.interestOps() & ~SelectionKey.OP_READ);
        // Downstream may have taken a read between the check and the flag: then resume here.
        if (readCredits.get() > 0) {
          resumeReading();
        }
        return;
      }
      ByteBuffer buffer = loop.readBuffer();
      buffer.clear();
      int n;
      try {
        n = channel.read(buffer);
      } catch (IOException e) {
        k.interestOps(0);
        fromLoop.invoke(e);
        return;
      }
      if (n > 0) {
        buffer.flip();
        readCredits.decrementAndGet();
        fromLoop.invoke(ByteString.fromByteBuffer(buffer));
      } else if (n < 0) {
        readingDone = true;
        k.interestOps(k.interestOps() & ~SelectionKey.OP_READ);
        fromLoop.invoke(SocketEvent.PEER_CLOSED);
      }
    }

    /** On the selector thread: reading resumes if it had paused for credit and is still wanted. */
    private void resumeReading() {
      if (readPaused && key != null && key.isValid() && !readingDone) {
        readPaused = false;
        key.interestOps(key.interestOps() | SelectionKey.OP_READ);
      }
    }

    @Override
    public void closedByLoop(IOException cause) {
      fromLoop.invoke(cause);
    }

    // --- on the stream's thread ----------------------------------------------------------------

    private void connectedNow() {
      if (connected) {
        return;
      }
      connected = true;
      cancelTimer(CONNECT_TIMEOUT);
      if (!isClosed(in) && !hasBeenPulled(in)) {
        pull(in);
      }
    }

    private void received(ByteString bytes) {
      if (isClosed(out)) {
        return;
      }
      if (reads.isEmpty() && isAvailable(out)) {
        push(out, bytes);
        returnCredit();
      } else {
        reads.add(bytes);
      }
    }

    private void returnCredit() {
      if (readCredits.incrementAndGet() > 0 && readPaused) {
        loop.execute(this::resumeReading);
      }
    }

    private void peerEnded() {
      peerClosed = true;
      if (reads.isEmpty()) {
        completeReading();
      }
    }

    private void completeReading() {
      if (!isClosed(out)) {
        complete(out);
      }
      if (!halfClose || inputDone && writing == null) {
        completeStage();
      }
    }

    private void flush() {
      if (writing == null) {
        return;
      }
      try {
        channel.write(writing);
      } catch (IOException e) {
        failStage(e);
        return;
      }
      if (writing.hasRemaining()) {
        loop.execute(() -> {
          if (key != null && key.isValid()) {
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
          }
        });
        return;
      }
      writing = null;
      if (inputDone) {
        endOutput();
      } else if (!hasBeenPulled(in)) {
        pull(in);
      }
    }

    /** Everything was written and nothing more comes: close, or with half-close shut the output only. */
    private void endOutput() {
      if (halfClose && !peerClosed && !isClosed(out) && !outputShut) {
        outputShut = true;
        try {
          channel.shutdownOutput();
        } catch (IOException e) {
          failStage(e);
        }
        return;
      }
      completeStage();
    }

    @Override
    public void postStop() {
      readingDone = true;
      SocketChannel c = channel;
      if (c != null) {
        loop.execute(() -> {
          try {
            c.close();
          } catch (IOException e) {
            // closing anyway
          }
        });
      }
    }
  }
}

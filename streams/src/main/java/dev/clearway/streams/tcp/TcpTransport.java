package dev.clearway.streams.tcp;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP for the gateway's connections, on a few selector threads of its own, in place of Pekko's
 * {@code Tcp} extension. Each connection is a flow stage ({@link #outgoing}, or an accepted
 * connection's {@link Incoming#handleWith}) inside the connection's own stream: the selector thread
 * reads a socket and hands the bytes to that stream in one step, and the stream writes to the
 * socket itself. Pekko's extension puts an actor between the two (with a message to and from it
 * for every read and every write, and a selector registration change for every read), which on a
 * gateway with many lightly loaded connections cost more than the TLS and MQTT work.
 *
 * <p>Bounded: reads wait for their stream at most {@code max-pending-reads} per connection (then
 * that socket is not read until the stream takes one); one read takes at most
 * {@code read-buffer-size} bytes; a write waits in the socket's own buffer.
 */
public final class TcpTransport implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);

  /** Where the settings are: {@code clearway.streams.tcp}. */
  public static final String PATH = "clearway.streams.tcp";
  /** Connections accepted per selector wake-up, so a flood of connects does not starve reads. */
  private static final int ACCEPTS_PER_EVENT = 64;

  /**
   * @param selectors selector threads; connections are spread over them
   * @param readBufferSize the most bytes one read of a socket takes
   * @param maxPendingReads reads of one socket that may wait for its stream before reading pauses
   * @param backlog connections the kernel queues for a listening socket before it is accepted
   */
  public record Settings(int selectors, int readBufferSize, int maxPendingReads, int backlog) {
    public Settings {
      check(selectors, 1, 64, "selectors");
      check(readBufferSize, 512, 16 * 1024 * 1024, "read-buffer-size");
      check(maxPendingReads, 1, 1024, "max-pending-reads");
      check(backlog, 1, 65_535, "accept-backlog");
    }

    private static void check(long value, long min, long max, String key) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(PATH + "." + key + " = " + value + " is outside " + min + " .. " + max);
      }
    }

    /** The settings under {@code clearway.streams.tcp} of {@code root}. */
    public static Settings from(Config root) {
      Config c = root.getConfig(PATH);
      return new Settings(c.getInt("selectors"), (int) Math.min(Integer.MAX_VALUE, c.getBytes("read-buffer-size")),
          c.getInt("max-pending-reads"), c.getInt("accept-backlog"));
    }
  }

  private final Settings settings;
  private final SelectorLoop[] loops;
  private final AtomicInteger nextLoop = new AtomicInteger();

  private TcpTransport(Settings settings, SelectorLoop[] loops) {
    this.settings = settings;
    this.loops = loops;
  }

  /** Starts the selector threads, named {@code <name>-<n>}. */
  public static TcpTransport start(String name, Settings settings) {
    SelectorLoop[] loops = new SelectorLoop[settings.selectors()];
    try {
      for (int i = 0; i < loops.length; i++) {
        loops[i] = new SelectorLoop(name + "-" + (i + 1), settings.readBufferSize());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot open a selector for TCP: " + e.getMessage(), e);
    }
    for (SelectorLoop loop : loops) {
      loop.start();
    }
    return new TcpTransport(settings, loops);
  }

  private SelectorLoop nextLoop() {
    return loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
  }

  /** A listening socket. */
  public interface Binding {
    InetSocketAddress localAddress();

    /** Stops accepting and closes the listening socket; connections already accepted stay. */
    CompletionStage<Done> unbind();
  }

  /** An accepted connection, to be served ({@link #handleWith}) or refused ({@link #refuse}) once. */
  public final class Incoming {
    private final SocketChannel channel;
    private final InetSocketAddress remote;

    private Incoming(SocketChannel channel, InetSocketAddress remote) {
      this.channel = channel;
      this.remote = remote;
    }

    public InetSocketAddress remoteAddress() {
      return remote;
    }

    /**
     * Serves the connection with {@code handler}: what the handler emits is written to the socket,
     * what was read from it goes into the handler. The peer closing its side ends the connection.
     */
    public void handleWith(Flow<ByteString, ByteString, ?> handler, Materializer materializer) {
      Flow.fromGraph(TcpConnectionStage.accepted(nextLoop(), channel, false, settings.maxPendingReads()))
          .join(handler)
          .run(materializer);
    }

    /** Closes the connection at once, unserved. */
    public void refuse() {
      closeQuietly(channel);
    }
  }

  /**
   * Listens on {@code address} (port 0: any free port); each accepted connection is given to
   * {@code onAccept} on a selector thread, which must not block.
   */
  public CompletionStage<Binding> bind(InetSocketAddress address, Consumer<Incoming> onAccept) {
    ServerSocketChannel server;
    try {
      server = ServerSocketChannel.open();
      server.configureBlocking(false);
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(address, settings.backlog());
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    InetSocketAddress local;
    try {
      local = (InetSocketAddress) server.getLocalAddress();
    } catch (IOException e) {
      closeQuietly(server);
      return CompletableFuture.failedFuture(e);
    }
    SelectorLoop loop = loops[0];
    CompletableFuture<Binding> bound = new CompletableFuture<>();
    Acceptor acceptor = new Acceptor(server, onAccept);
    loop.execute(() -> {
      try {
        server.register(loop.selector(), SelectionKey.OP_ACCEPT, acceptor);
        bound.complete(new Binding() {
          @Override
          public InetSocketAddress localAddress() {
            return local;
          }

          @Override
          public CompletionStage<Done> unbind() {
            CompletableFuture<Done> done = new CompletableFuture<>();
            loop.execute(() -> {
              closeQuietly(server);
              loop.releaseClosed(); // refused from now on, not from the loop's next select
              done.complete(Done.getInstance());
            });
            return done;
          }
        });
      } catch (IOException e) {
        closeQuietly(server);
        bound.completeExceptionally(e);
      }
    });
    return bound;
  }

  private final class Acceptor implements SelectorLoop.Ready {
    private final ServerSocketChannel server;
    private final Consumer<Incoming> onAccept;

    Acceptor(ServerSocketChannel server, Consumer<Incoming> onAccept) {
      this.server = server;
      this.onAccept = onAccept;
    }

    @Override
    public void ready(SelectionKey key) {
      for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        SocketChannel channel;
        InetSocketAddress remote;
        try {
          channel = server.accept();
          if (channel == null) {
            return;
          }
          remote = (InetSocketAddress) channel.getRemoteAddress();
          channel.configureBlocking(false);
          channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        } catch (IOException e) {
          // A connection reset before it was accepted, or out of file descriptors: this one is lost,
          // the listener stays.
          log.warn("TCP: cannot accept a connection on {}: {}", server.socket().getLocalSocketAddress(), e.getMessage());
          return;
        }
        try {
          onAccept.accept(new Incoming(channel, remote));
        } catch (RuntimeException e) {
          log.error("TCP: the accept handler failed; closing the connection from {}: {}", remote, e.toString(), e);
          closeQuietly(channel);
        }
      }
    }

    @Override
    public void closedByLoop(IOException cause) {
      log.info("TCP: stopped listening on {}: {}", server.socket().getLocalSocketAddress(), cause.getMessage());
    }
  }

  /**
   * A connection to {@code address}: the flow connects when materialized and fails when the
   * connection cannot be made within {@code connectTimeout}. With {@code halfClose}, the end of its
   * input only shuts the socket's output down; the connection ends when the peer closes too.
   */
  public Flow<ByteString, ByteString, NotUsed> outgoing(InetSocketAddress address, Duration connectTimeout, boolean halfClose) {
    return Flow.fromGraph(TcpConnectionStage.outgoing(nextLoop(), address, connectTimeout, halfClose, settings.maxPendingReads()));
  }

  private static void closeQuietly(java.nio.channels.Channel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("TCP: closing a channel: {}", e.toString());
    }
  }

  /** Stops the selector threads; every connection and listening socket still open is closed. */
  @Override
  public void close() {
    try {
      for (SelectorLoop loop : loops) {
        loop.close(5_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

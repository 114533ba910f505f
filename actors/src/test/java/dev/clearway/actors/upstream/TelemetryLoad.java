package dev.clearway.actors.upstream;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.clearway.tls.SasToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import javax.net.ssl.TrustManagerFactory;

/**
 * Devices publishing numbered QoS 1 telemetry to a gateway, each on its own thread with its own
 * HiveMQ client, and the record of every message id sent and acknowledged (PUBACK received).
 * A body starts with its id, {@code <device>:<seq>}, so what the hub receives can be matched per id.
 *
 * <p>A device whose connection drops (the gateway was killed, say) reconnects with a fresh client,
 * to wherever {@code port} says the gateway listens now, and goes on with the next sequence number;
 * publishes that were pending on the lost connection count as sent, never as acknowledged.
 */
final class TelemetryLoad implements AutoCloseable {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** A device and its symmetric key (base64). */
  record Device(String id, String key) {}

  private final String hub;
  private final List<Device> devices;
  private final IntSupplier port;
  private final Supplier<TrustManagerFactory> trust;
  private Duration pause = Duration.ZERO;
  private int window = 8;
  private int bodySize;
  private int perDeviceLimit;
  private String tag = "";

  private final Set<String> sent = ConcurrentHashMap.newKeySet();
  private final Set<String> acked = ConcurrentHashMap.newKeySet();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicInteger connects = new AtomicInteger();
  private final AtomicInteger failedConnects = new AtomicInteger();
  private final List<Thread> threads = new ArrayList<>();
  private final Set<Mqtt3AsyncClient> clients = ConcurrentHashMap.newKeySet();
  private volatile boolean publishing;

  /**
   * @param hub the IoT Hub host name tokens are signed for
   * @param port where the gateway listens now (read at every connection attempt)
   * @param trust trust for the gateway's server certificate (read at every connection attempt)
   */
  TelemetryLoad(String hub, List<Device> devices, IntSupplier port, Supplier<TrustManagerFactory> trust) {
    this.hub = hub;
    this.devices = List.copyOf(devices);
    this.port = port;
    this.trust = trust;
  }

  /** How long a device waits after each publish; none by default. */
  TelemetryLoad pause(Duration value) {
    this.pause = value;
    return this;
  }

  /** Publishes a device has unacknowledged at once; 8 by default. */
  TelemetryLoad window(int value) {
    this.window = value;
    return this;
  }

  /** The body's length in bytes (at least the id and a space); just that by default. */
  TelemetryLoad bodySize(int value) {
    this.bodySize = value;
    return this;
  }

  /** The most messages one device sends; no limit (0) by default. */
  TelemetryLoad limit(int value) {
    this.perDeviceLimit = value;
    return this;
  }

  /** Put before each sequence number, so that two loads of the same devices have distinct ids. */
  TelemetryLoad tag(String value) {
    this.tag = value;
    return this;
  }

  /** Starts every device's thread. */
  void start() {
    publishing = true;
    for (Device d : devices) {
      Thread t = new Thread(() -> run(d), "load-" + d.id());
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /**
   * Stops new publishes and waits, at most {@code timeout}, until every pending one was
   * acknowledged or failed. Returns whether none is pending any more.
   */
  boolean stopPublishing(Duration timeout) throws InterruptedException {
    publishing = false;
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return outstanding.get() == 0;
  }

  /**
   * Waits, at most {@code timeout}, until every device sent its {@link #limit} and every publish
   * was acknowledged or failed. Returns whether that happened.
   */
  boolean awaitDone(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return threads.stream().noneMatch(Thread::isAlive) && outstanding.get() == 0;
  }

  /** Every id published (acknowledged or not). */
  Set<String> sent() {
    return Set.copyOf(sent);
  }

  /** Every id whose PUBACK arrived. */
  Set<String> acked() {
    return Set.copyOf(acked);
  }

  int sentCount() {
    return sent.size();
  }

  int ackedCount() {
    return acked.size();
  }

  /** Publishes sent and neither acknowledged nor failed yet. */
  int outstanding() {
    return outstanding.get();
  }

  /** Successful CONNECTs, over all devices and reconnections. */
  int connects() {
    return connects.get();
  }

  int failedConnects() {
    return failedConnects.get();
  }

  /** The message id a body starts with. */
  static String idOf(byte[] body) {
    String s = new String(body, StandardCharsets.UTF_8);
    int space = s.indexOf(' ');
    return space < 0 ? s : s.substring(0, space);
  }

  private void run(Device d) {
    int seq = 0;
    while (publishing && (perDeviceLimit == 0 || seq < perDeviceLimit)) {
      Mqtt3AsyncClient client;
      try {
        client = connect(d);
      } catch (Exception e) {
        failedConnects.incrementAndGet();
        sleep(Duration.ofMillis(200));
        continue;
      }
      connects.incrementAndGet();
      Semaphore room = new Semaphore(window);
      while (publishing && client.getState().isConnected() && (perDeviceLimit == 0 || seq < perDeviceLimit)) {
        if (!acquire(room)) {
          continue;
        }
        String id = d.id() + ":" + tag + seq++;
        sent.add(id);
        outstanding.incrementAndGet();
        client.publishWith().topic("devices/" + d.id() + "/messages/events/").qos(MqttQos.AT_LEAST_ONCE).payload(body(id)).send()
            .whenComplete((result, failure) -> {
              if (failure == null) {
                acked.add(id);
              }
              outstanding.decrementAndGet();
              room.release();
            });
        if (!pause.isZero()) {
          sleep(pause);
        }
      }
      // Out of the loop: stopped, at the limit (close() disconnects), or the connection is gone and a new one is tried.
    }
  }

  private Mqtt3AsyncClient connect(Device d) throws Exception {
    Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier(d.id())
        .serverHost("127.0.0.1").serverPort(port.getAsInt())
        .sslConfig().trustManagerFactory(trust.get()).applySslConfig()
        .buildAsync();
    String token = SasToken.create(hub + "/devices/" + d.id(), d.key(), Instant.now().plusSeconds(900));
    try {
      client.connectWith().cleanSession(true).keepAlive(30)
          .simpleAuth().username(hub + "/" + d.id() + "/?api-version=2021-04-12").password(token.getBytes(StandardCharsets.UTF_8))
          .applySimpleAuth()
          .send().get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      client.disconnect();
      throw e;
    }
    clients.add(client);
    return client;
  }

  private byte[] body(String id) {
    byte[] head = (id + " ").getBytes(StandardCharsets.UTF_8);
    byte[] body = Arrays.copyOf(head, Math.max(head.length, bodySize));
    Arrays.fill(body, head.length, body.length, (byte) 'x');
    return body;
  }

  private boolean acquire(Semaphore room) {
    try {
      return room.tryAcquire(100, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      publishing = false;
      return false;
    }
  }

  private void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      publishing = false;
    }
  }

  /** Stops publishing at once and disconnects every client. */
  @Override
  public void close() {
    publishing = false;
    for (Thread t : threads) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Mqtt3AsyncClient c : clients) {
      c.disconnect();
    }
  }
}

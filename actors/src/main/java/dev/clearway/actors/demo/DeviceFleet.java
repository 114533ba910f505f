package dev.clearway.actors.demo;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.clearway.streams.iothub.HubTopics;
import dev.clearway.tls.SasToken;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The simulated devices: one HiveMQ MQTT client each (a real client library, not ours), connected
 * to the gateway over TLS as the Azure IoT device SDKs connect through a gateway: client id = device
 * id, user name {@code {hub}/{deviceId}/?api-version=…}, password a SAS token signed with the
 * device's key for the <em>hub's</em> host name, clean session off.
 *
 * <p>A pacing thread publishes {@code rate} messages a second in total, round-robin over the
 * devices, at QoS 1 on {@code devices/{id}/messages/events/} with a JSON {@link Reading}. Each device
 * has at most {@code maxInFlight} messages without a PUBACK; a message due while its device is at
 * that limit (or its ledger ring is full) is not sent and counted as held back, so the load stays
 * open-loop and nothing queues up inside the demo.
 */
final class DeviceFleet implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeviceFleet.class);
  /** How often the pacing thread looks at what is due. */
  private static final Duration TICK = Duration.ofMillis(5);

  private final List<Device> devices;
  private final Ledger ledger;
  private final String run;
  private final ScheduledExecutorService pacer;
  private final AtomicLong heldBack = new AtomicLong();
  private volatile long scheduled; // written by the pacing thread only
  private volatile boolean sending;

  /** One simulated device; {@code random} is used by the pacing thread only. */
  private record Device(int index, String id, Mqtt3AsyncClient client, String topicPrefix, Semaphore window, SplittableRandom random) {}

  private DeviceFleet(List<Device> devices, Ledger ledger, String run) {
    this.devices = devices;
    this.ledger = ledger;
    this.run = run;
    this.pacer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "clearway-demo-devices");
      t.setDaemon(true);
      return t;
    });
  }

  /** A device to simulate: its id and its symmetric key (base64). */
  record DeviceKey(String id, String key) {}

  /**
   * Connects every device (in parallel) and returns once all are connected.
   *
   * @param hubHost the IoT Hub host name the devices sign their tokens for (their connection string's HostName)
   * @param tokenLifetime how long their SAS tokens stay valid
   * @throws DemoException naming the first device that could not connect and why
   */
  static DeviceFleet connect(List<DeviceKey> keys, InetSocketAddress gateway, TrustManagerFactory trust, String hubHost,
      Duration tokenLifetime, Duration connectTimeout, int maxInFlight, Ledger ledger, String run) throws DemoException {
    List<Device> devices = new ArrayList<>();
    List<CompletableFuture<?>> connecting = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      DeviceKey k = keys.get(i);
      Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3()
          .identifier(k.id())
          .serverHost(gateway.getHostString())
          .serverPort(gateway.getPort())
          .sslConfig().trustManagerFactory(trust).protocols(List.of("TLSv1.3", "TLSv1.2"))
          .handshakeTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS).applySslConfig()
          .buildAsync();
      String token = SasToken.create(hubHost + "/devices/" + k.id(), k.key(), Instant.now().plus(tokenLifetime));
      connecting.add(client.connectWith()
          .cleanSession(false)
          .keepAlive(60)
          .simpleAuth()
          .username(HubTopics.userName(hubHost, k.id()))
          .password(token.getBytes(StandardCharsets.UTF_8))
          .applySimpleAuth()
          .send());
      devices.add(new Device(i, k.id(), client, "devices/" + k.id() + "/messages/events/", new Semaphore(maxInFlight),
          new SplittableRandom(i)));
    }
    DeviceFleet fleet = new DeviceFleet(devices, ledger, run);
    for (int i = 0; i < connecting.size(); i++) {
      try {
        connecting.get(i).get(connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        fleet.close();
        throw new DemoException("device " + keys.get(i).id() + " could not connect to the gateway: " + e.getCause().getMessage(), e);
      } catch (TimeoutException e) {
        fleet.close();
        throw new DemoException("device " + keys.get(i).id() + " did not connect to the gateway within " + connectTimeout.toSeconds()
            + " s (clearway.demo.connect-timeout)", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fleet.close();
        throw new DemoException("interrupted while the devices connected", e);
      }
    }
    return fleet;
  }

  /** Starts publishing {@code rate} messages a second in total, {@code total} messages in all. */
  void start(int rate, long total) {
    sending = true;
    long start = System.nanoTime();
    pacer.scheduleAtFixedRate(() -> {
      try {
        // Open loop: what is due by now, whatever was held back before.
        long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * rate));
        long n = scheduled;
        while (n < due && sending) {
          publish(devices.get((int) (n % devices.size())));
          n++;
        }
        scheduled = n;
      } catch (RuntimeException e) {
        // A periodic task that throws is never run again: say why the devices went quiet.
        log.error("The simulated devices stopped publishing", e);
        throw e;
      }
    }, 0, TICK.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Messages due so far: sent, or held back. */
  long scheduled() {
    return scheduled;
  }

  private void publish(Device d) {
    if (!d.window().tryAcquire()) {
      heldBack.incrementAndGet();
      return;
    }
    OptionalLong seq = ledger.reserve(d.index());
    if (seq.isEmpty()) {
      d.window().release();
      heldBack.incrementAndGet();
      return;
    }
    long s = seq.getAsLong();
    // Readings between 15.0 and 35.0 °C: the route forwards about half of them.
    double temperature = 15 + d.random().nextInt(201) / 10.0;
    String topic = d.topicPrefix() + "$.mid=" + d.id() + "-" + s + "&$.ct=application%2Fjson&$.ce=utf-8";
    d.client().publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE)
        .payload(new Reading(run, s, temperature, System.nanoTime()).toJson())
        .send()
        .whenComplete((published, failure) -> {
          d.window().release();
          if (failure == null) {
            ledger.acknowledged(d.index(), s);
          } else {
            ledger.failed(d.index(), s);
          }
        });
  }

  /** Stops publishing; messages already sent still get their PUBACKs. */
  void stopSending() {
    sending = false;
    pacer.shutdown();
    try {
      pacer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Messages that were due but not sent: their device had too many without a PUBACK. */
  long heldBack() {
    return heldBack.get();
  }

  int size() {
    return devices.size();
  }

  /** Disconnects every device (DISCONNECT, then the socket closes). */
  @Override
  public void close() {
    sending = false;
    pacer.shutdownNow();
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (Device d : devices) {
      closing.add(d.client().disconnect().exceptionally(e -> null)); // one that is not connected has nothing to close
    }
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // The gateway closes what is left when it stops.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

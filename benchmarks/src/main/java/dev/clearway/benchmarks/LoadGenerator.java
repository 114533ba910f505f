package dev.clearway.benchmarks;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import dev.clearway.tls.SasToken;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The devices of an end-to-end run and the harness's subscriber at the upstream broker, all HiveMQ
 * MQTT clients (MQTT 3.1.1, not our code).
 *
 * <p>Each device connects over TLS as an IoT Hub device does (client id = device id, user name
 * {@code <hub>/<id>/?api-version=…}, password a SAS token) and publishes QoS 1 messages of a fixed
 * size to {@code devices/<id>/messages/events/}. Two ways of loading the system under test:
 * <ul>
 *   <li>{@link #closedLoop}: every device keeps {@code window} messages in flight and sends the next
 *       as soon as one completes: the system's maximum throughput. End to end (the default), a
 *       message is in flight until it is both acknowledged (PUBACK) and arrived at the upstream, so
 *       a system that acknowledges faster than it forwards (Mosquitto acknowledges on receipt) is
 *       measured at what it forwards, not at the collapse of a queue growing without bound; with
 *       the PUBACK scope, only the acknowledgement counts, as for a real device.
 *   <li>{@link #fixedRate}: one scheduler sends at a fixed total rate, round-robin over the devices,
 *       whatever the acknowledgements do; each message carries its slot in the schedule as its
 *       intended send time, so latency includes any wait for a backed-up client.
 * </ul>
 * The subscriber takes {@code devices/#} at QoS 1 from the upstream and hands every arrival to the
 * current phase's {@link PhaseRecorder}.
 */
final class LoadGenerator implements AutoCloseable {
  static final String API_VERSION = "2021-04-12";

  /** Where the devices connect: the system under test. */
  record Target(String name, String host, int port, MqttClientSslConfig tls) {}

  private final List<Device> devices;
  private final int messageBytes;
  private final AtomicReference<PhaseRecorder> current;

  private LoadGenerator(List<Device> devices, int messageBytes, AtomicReference<PhaseRecorder> current) {
    this.devices = devices;
    this.messageBytes = messageBytes;
    this.current = current;
  }

  /** One device: its client and the sequence of its next message in the current phase. */
  private record Device(int index, String id, Mqtt3AsyncClient client, AtomicLong nextSequence) {
    String topic() {
      return "devices/" + id + "/messages/events/";
    }
  }

  /**
   * Connects every device (in order of {@code keys}, each with its SAS key) to the target, at most
   * {@code concurrency} handshakes at once; fails if any device cannot connect within 60 s.
   *
   * @param subscriber the upstream subscription whose arrivals this generator's phases record
   */
  static LoadGenerator connect(Target target, String hub, Map<String, String> keys, int messageBytes,
                               MqttClientExecutorConfig executor, UpstreamSubscriber subscriber) throws Exception {
    List<Device> devices = new ArrayList<>();
    List<CompletableFuture<?>> connecting = new ArrayList<>();
    int index = 0;
    for (Map.Entry<String, String> e : keys.entrySet()) {
      String id = e.getKey();
      Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier(id)
          .serverHost(target.host()).serverPort(target.port()).sslConfig(target.tls()).executorConfig(executor)
          .buildAsync();
      String token = SasToken.create(hub + "/devices/" + id, e.getValue(), Instant.now().plus(Duration.ofHours(6)));
      connecting.add(client.connectWith().cleanSession(true).keepAlive(60)
          .simpleAuth().username(hub + "/" + id + "/?api-version=" + API_VERSION)
          .password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth()
          .send().orTimeout(60, TimeUnit.SECONDS));
      devices.add(new Device(index++, id, client, new AtomicLong()));
    }
    LoadGenerator generator = new LoadGenerator(devices, messageBytes, subscriber.current());
    try {
      CompletableFuture.allOf(connecting.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      generator.close();
      throw new IllegalStateException(target.name() + ": not every device connected: " + e.getMessage(), e);
    }
    return generator;
  }

  int devices() {
    return devices.size();
  }

  private void begin(PhaseRecorder recorder) {
    devices.forEach(d -> d.nextSequence().set(0));
    current.set(recorder);
  }

  private void publish(Device d, PhaseRecorder recorder, long intendedNanos, Runnable onAcked) {
    long seq = d.nextSequence().getAndIncrement();
    byte[] body = Payload.encode(new Payload.Stamp(recorder.phase(), d.index(), seq, intendedNanos), messageBytes);
    recorder.sent();
    d.client().publishWith().topic(d.topic()).qos(MqttQos.AT_LEAST_ONCE).payload(body).send()
        .whenComplete((ack, error) -> {
          if (error != null) {
            // A device whose publish failed stops (its connection is gone); the phase reports it.
            recorder.failed(error);
          } else {
            recorder.acked(d.index(), seq, intendedNanos, System.nanoTime());
            onAcked.run();
          }
        });
  }

  /** When a closed-loop message stops counting against its device's window. */
  enum WindowScope {
    /** Acknowledged by the system under test and arrived at the upstream. */
    END_TO_END,
    /** Acknowledged (PUBACK) by the system under test, as a device sees it. */
    PUBACK
  }

  /**
   * Every device keeps {@code window} messages in flight until the phase ends; returns once all
   * sent messages are acknowledged (or failed), at most 60 s after the end.
   */
  void closedLoop(PhaseRecorder recorder, int window, WindowScope scope) throws InterruptedException {
    begin(recorder);
    if (scope == WindowScope.END_TO_END) {
      // The next message goes when one completes; its acknowledgement alone sends nothing.
      recorder.onCompletion(index -> sendWhileRunning(devices.get(index), recorder, scope));
    }
    for (Device d : devices) {
      for (int i = 0; i < window; i++) {
        sendWhileRunning(d, recorder, scope);
      }
    }
    sleepUntil(recorder.end());
    awaitAcknowledgements(recorder, 60);
  }

  private void sendWhileRunning(Device d, PhaseRecorder recorder, WindowScope scope) {
    long now = System.nanoTime();
    if (now < recorder.end()) {
      publish(d, recorder, now, scope == WindowScope.PUBACK ? () -> sendWhileRunning(d, recorder, scope) : () -> { });
    }
  }

  /**
   * Sends {@code ratePerSecond} messages a second in total, round-robin over the devices, from the
   * phase's start to its end. Stops early (and says so) when more than {@code maxOutstanding}
   * messages await their acknowledgement: the system has fallen too far behind to measure.
   *
   * @return false when it stopped early
   */
  boolean fixedRate(PhaseRecorder recorder, double ratePerSecond, long maxOutstanding) throws InterruptedException {
    begin(recorder);
    double period = 1e9 / ratePerSecond;
    long slot = 0;
    boolean keptUp = true;
    while (true) {
      long intended = recorder.start() + (long) (slot * period);
      if (intended >= recorder.end()) {
        break;
      }
      long wait = intended - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
        continue;
      }
      if (recorder.outstanding() > maxOutstanding) {
        keptUp = false;
        break;
      }
      publish(devices.get((int) (slot % devices.size())), recorder, intended, () -> { });
      slot++;
    }
    sleepUntil(recorder.end());
    awaitAcknowledgements(recorder, 60);
    return keptUp;
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long wait;
    while ((wait = nanos - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
    }
  }

  private static void awaitAcknowledgements(PhaseRecorder recorder, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (recorder.outstanding() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  /**
   * Waits until every acknowledged message of the phase has arrived upstream; gives up when nothing
   * arrives for {@code quietSeconds} or after {@code maxSeconds}.
   *
   * @return the seconds it waited
   */
  static double drain(PhaseRecorder recorder, int quietSeconds, int maxSeconds) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + TimeUnit.SECONDS.toNanos(maxSeconds);
    long lastArrived = recorder.arrivedCount();
    long lastProgress = t0;
    while (recorder.missing() > 0) {
      long now = System.nanoTime();
      if (now > deadline || now - lastProgress > TimeUnit.SECONDS.toNanos(quietSeconds)) {
        break;
      }
      Thread.sleep(200);
      long arrived = recorder.arrivedCount();
      if (arrived != lastArrived) {
        lastArrived = arrived;
        lastProgress = System.nanoTime();
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  @Override
  public void close() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    for (Device d : devices) {
      if (d.client().getState().isConnected()) {
        closing.add(d.client().disconnect().exceptionally(e -> null));
      }
    }
    try {
      CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("not every device disconnected within 30 s: " + e);
    }
  }
}

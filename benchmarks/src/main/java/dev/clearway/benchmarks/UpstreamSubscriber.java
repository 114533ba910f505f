package dev.clearway.benchmarks;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientExecutorConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The harness's subscriber at the upstream broker: {@code devices/#} at QoS 1 over plain TCP on
 * loopback, in the load generator's JVM, so the arrival time and the payload's intended send time
 * come from the same {@link System#nanoTime()} clock. Every arrival goes to the current phase's
 * recorder; arrivals of another phase (stragglers) and foreign payloads are only counted.
 */
final class UpstreamSubscriber implements AutoCloseable {
  private final Mqtt3AsyncClient client;
  private final AtomicReference<PhaseRecorder> current = new AtomicReference<>();
  private final AtomicLong strays = new AtomicLong();

  private UpstreamSubscriber(Mqtt3AsyncClient client) {
    this.client = client;
  }

  static UpstreamSubscriber connect(int plainPort, MqttClientExecutorConfig executor) throws Exception {
    Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier("clearway-bench-subscriber")
        .serverHost("127.0.0.1").serverPort(plainPort).executorConfig(executor).buildAsync();
    UpstreamSubscriber subscriber = new UpstreamSubscriber(client);
    client.connectWith().cleanSession(true).keepAlive(60).send().get(30, TimeUnit.SECONDS);
    client.subscribeWith().topicFilter("devices/#").qos(MqttQos.AT_LEAST_ONCE).callback(subscriber::onPublish)
        .send().get(30, TimeUnit.SECONDS);
    return subscriber;
  }

  private void onPublish(Mqtt3Publish publish) {
    long now = System.nanoTime();
    Optional<Payload.Stamp> stamp = Payload.decode(publish.getPayload().orElse(ByteBuffer.allocate(0)));
    PhaseRecorder recorder = current.get();
    if (stamp.isEmpty() || recorder == null || stamp.get().phase() != recorder.phase() || !recorder.arrived(stamp.get(), now)) {
      strays.incrementAndGet();
    }
  }

  /** The phase that arrivals are recorded for; load generators set it when a phase begins. */
  AtomicReference<PhaseRecorder> current() {
    return current;
  }

  /** Arrivals that belonged to no current phase, or were not ours. */
  long strays() {
    return strays.get();
  }

  @Override
  public void close() {
    try {
      client.disconnect().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("the upstream subscriber did not disconnect cleanly: " + e);
    }
  }
}

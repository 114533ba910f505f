package dev.clearway.streams.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.streams.mqtt.MqttPacket.ConnAck;
import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.PingReq;
import dev.clearway.streams.mqtt.MqttPacket.PingResp;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import dev.clearway.streams.mqtt.MqttPacket.SubAck;
import dev.clearway.streams.mqtt.MqttPacket.Subscribe;
import dev.clearway.streams.mqtt.MqttPacket.Subscription;
import dev.clearway.streams.mqtt.MqttPacket.UnsubAck;
import dev.clearway.streams.mqtt.MqttPacket.Unsubscribe;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * A loopback TCP server made of {@link MqttCodecFlow} and a few lines of broker-like answers, for
 * interop tests with real clients: it records everything it decodes and answers CONNECT with
 * CONNACK, QoS 1 PUBLISH with PUBACK, SUBSCRIBE with SUBACK (granting what was asked) followed by one
 * QoS 1 PUBLISH on {@code deliveryTopic}, UNSUBSCRIBE with UNSUBACK and PINGREQ with PINGRESP.
 */
final class LoopbackMqttServer {

  /** The payload of the message delivered after each SUBSCRIBE. */
  static final ByteString DELIVERY = ByteString.fromString("to the device");

  /** The packet id of that message. */
  static final int DELIVERY_ID = 4242;

  private final Duration timeout;
  private final String deliveryTopic;
  private final BlockingQueue<MqttInbound> received = new LinkedBlockingQueue<>();
  private final Tcp.ServerBinding binding;
  private int pings;

  LoopbackMqttServer(ActorSystem system, String deliveryTopic, Duration timeout) throws Exception {
    this.timeout = timeout;
    this.deliveryTopic = deliveryTopic;
    MqttSettings settings = new MqttSettings(327_688);
    binding = Tcp.get(system).bind("127.0.0.1", 0)
        .to(Sink.foreach(connection -> connection.handleWith(MqttCodecFlow.create(settings).join(answering()), system)))
        .run(system).toCompletableFuture().get(timeout.toSeconds(), TimeUnit.SECONDS);
  }

  int port() {
    return binding.localAddress().getPort();
  }

  private Flow<MqttInbound, MqttPacket, NotUsed> answering() {
    return Flow.<MqttInbound>create().mapConcat(in -> {
      received.add(in);
      if (in instanceof Connect) {
        return List.of(new ConnAck(false, ConnAck.ACCEPTED));
      } else if (in instanceof Publish p && p.qos() == 1) {
        return List.of(new PubAck(p.packetId()));
      } else if (in instanceof Subscribe s) {
        return List.of(new SubAck(s.packetId(), s.subscriptions().stream().map(Subscription::qos).toList()),
            new Publish(false, 1, false, deliveryTopic, DELIVERY_ID, DELIVERY));
      } else if (in instanceof Unsubscribe u) {
        return List.of(new UnsubAck(u.packetId()));
      } else if (in instanceof PingReq) {
        return List.of(new PingResp());
      }
      return List.<MqttPacket>of();
    });
  }

  /** The next decoded element other than PINGREQ (which clients send on their own timer). */
  MqttInbound next() throws InterruptedException {
    while (true) {
      MqttInbound in = received.poll(timeout.toSeconds(), TimeUnit.SECONDS);
      assertThat(in).as("a packet within " + timeout).isNotNull();
      if (!(in instanceof PingReq)) {
        return in;
      }
      pings++;
    }
  }

  /** Waits for a PINGREQ (unless one came already); nothing else may arrive meanwhile. */
  void awaitPing() throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (pings == 0 && System.nanoTime() < deadline) {
      MqttInbound in = received.poll(100, TimeUnit.MILLISECONDS);
      if (in != null) {
        assertThat(in).isInstanceOf(PingReq.class);
        pings++;
      }
    }
    assertThat(pings).as("PINGREQs from the client").isPositive();
  }

  /** Stops accepting connections. */
  void close() throws Exception {
    binding.unbind().toCompletableFuture().get(timeout.toSeconds(), TimeUnit.SECONDS);
  }
}

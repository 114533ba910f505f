package dev.clearway.actors.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.streams.mqtt.MqttInbound;
import dev.clearway.streams.mqtt.MqttPacket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

class LinkPortTest {
  private static final ActorTestKit testKit = ActorTestKit.create("LinkPortTest");
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final MqttPacket CONNECT = new MqttPacket.Connect(false, 60, "dev-1", Optional.empty(), Optional.of("hub/dev-1"),
      Optional.of(ByteString.fromString("token")));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static void ack(HubLink.StreamInit init) {
    init.port().tell(HubLink.Ack.INSTANCE, org.apache.pekko.actor.ActorRef.noSender());
  }

  @Test
  void packetsFromTheHubReachTheLinkInOrderInBatchesOfAtMostTheWindowEachOnlyAfterTheLinksAck() {
    TestProbe<HubLink.Command> link = testKit.createTestProbe();
    BoundedSourceQueue<MqttInbound> hub = Source.<MqttInbound>queue(16)
        .via(Flow.fromGraph(new LinkPort(link.ref(), 7, CONNECT, 8, 2)))
        .to(Sink.ignore())
        .run(mat);
    HubLink.StreamInit init = link.expectMessageClass(HubLink.StreamInit.class);
    for (int id = 1; id <= 5; id++) {
      hub.offer(new MqttPacket.PubAck(id));
    }

    List<MqttInbound> received = new ArrayList<>();
    List<Integer> batchSizes = new ArrayList<>();
    ack(init); // the link is ready: reading starts
    while (received.size() < 5) {
      HubLink.FromHub batch = link.expectMessageClass(HubLink.FromHub.class);
      assertThat(batch.attempt()).isEqualTo(7);
      received.addAll(batch.inbound());
      batchSizes.add(batch.inbound().size());
      link.expectNoMessage(Duration.ofMillis(100)); // nothing more until this batch is acknowledged
      ack(init);
    }
    hub.complete();

    assertThat(received).containsExactly(new MqttPacket.PubAck(1), new MqttPacket.PubAck(2), new MqttPacket.PubAck(3),
        new MqttPacket.PubAck(4), new MqttPacket.PubAck(5));
    assertThat(batchSizes).allMatch(size -> size <= 2);
    HubLink.StreamEnded ended = link.expectMessageClass(HubLink.StreamEnded.class);
    assertThat(ended.attempt()).isEqualTo(7);
    assertThat(ended.failure()).isNull();
  }

  @Test
  void theConnectGoesOutFirstThenWhatTheLinkSentAndCloseEndsTheOutboundSideAfterThem() throws Exception {
    TestProbe<HubLink.Command> link = testKit.createTestProbe();
    CompletionStage<List<MqttPacket>> toHub = Source.<MqttInbound>never()
        .via(Flow.fromGraph(new LinkPort(link.ref(), 1, CONNECT, 8, 4)))
        .toMat(Sink.seq(), Keep.right())
        .run(mat);
    HubLink.StreamInit init = link.expectMessageClass(HubLink.StreamInit.class);

    init.port().tell(new MqttPacket.PingReq(), org.apache.pekko.actor.ActorRef.noSender());
    init.port().tell(new MqttPacket.Disconnect(), org.apache.pekko.actor.ActorRef.noSender());
    init.port().tell(HubLink.Close.INSTANCE, org.apache.pekko.actor.ActorRef.noSender());

    assertThat(toHub.toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS))
        .containsExactly(CONNECT, new MqttPacket.PingReq(), new MqttPacket.Disconnect());
  }

  @Test
  void moreThanTheOutboundBufferWaitingForTheNetworkFailsTheAttemptNamingTheSetting() {
    TestProbe<HubLink.Command> link = testKit.createTestProbe();
    Source.<MqttInbound>never()
        .via(Flow.fromGraph(new LinkPort(link.ref(), 3, CONNECT, 3, 4)))
        .to(Sink.fromSubscriber(new NeverRequests()))
        .run(mat);
    HubLink.StreamInit init = link.expectMessageClass(HubLink.StreamInit.class);

    for (int i = 0; i < 3; i++) { // the CONNECT waits too: the third of these is one too many
      init.port().tell(new MqttPacket.PingReq(), org.apache.pekko.actor.ActorRef.noSender());
    }

    HubLink.StreamEnded ended = link.expectMessageClass(HubLink.StreamEnded.class);
    assertThat(ended.attempt()).isEqualTo(3);
    assertThat(ended.failure()).hasMessageContaining("more than 3 packets wait for the hub (clearway.upstream.outbound-buffer)");
  }

  /** A network that never takes anything. */
  private static final class NeverRequests implements Subscriber<MqttPacket> {
    @Override
    public void onSubscribe(Subscription s) {
    }

    @Override
    public void onNext(MqttPacket packet) {
      throw new IllegalStateException("nothing was requested");
    }

    @Override
    public void onError(Throwable t) {
    }

    @Override
    public void onComplete() {
    }
  }
}

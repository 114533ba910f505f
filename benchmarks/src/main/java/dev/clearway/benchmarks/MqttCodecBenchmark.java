package dev.clearway.benchmarks;

import dev.clearway.streams.mqtt.MqttCodec;
import dev.clearway.streams.mqtt.MqttCodecFlow;
import dev.clearway.streams.mqtt.MqttDecoded;
import dev.clearway.streams.mqtt.MqttFraming;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.mqtt.MqttSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The MQTT codec on the gateway's hot path: one device telemetry message, a 1 KB QoS 1 PUBLISH on
 * an IoT Hub topic with a property bag.
 *
 * <ul>
 *   <li>{@code decode}, {@code encode}: the pure functions, nanoseconds per packet;
 *   <li>{@code framing}: the framing stage over 1000 such packets in 64 KB chunks (as TCP reads
 *       deliver them), packets per second;
 *   <li>{@code inbound}: framing, decoding and the session rules together, packets per second.
 * </ul>
 *
 * Run: {@code java -jar benchmarks/target/benchmarks.jar MqttCodec -f 1 -wi 3 -i 5 -w 2s -r 2s}.
 */
@State(Scope.Benchmark)
public class MqttCodecBenchmark {

  /** Packets per stream run in the stream benchmarks. */
  static final int PACKETS = 1000;

  /** The chunk size of the stream benchmarks, a typical TCP read. */
  static final int CHUNK = 64 * 1024;

  static final String TOPIC = "devices/d1/messages/events/%24.ct=application%2Fjson&k=v";

  private MqttPacket.Publish publish;
  private ByteString encoded;
  private List<ByteString> chunks;
  private List<ByteString> sessionChunks;
  private MqttSettings settings;
  private ActorSystem system;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] body = new byte[1024];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) ('a' + i % 26);
    }
    publish = new MqttPacket.Publish(false, 1, false, TOPIC, 42, ByteString.fromArray(body));
    encoded = MqttCodec.encode(publish);
    ByteString stream = ByteString.emptyByteString();
    for (int i = 0; i < PACKETS; i++) {
      stream = stream.concat(encoded);
    }
    chunks = split(stream.compact());
    ByteString connect = MqttCodec.encode(new MqttPacket.Connect(true, 60, "d1", Optional.empty(),
        Optional.of("hub/d1/?api-version=2021-04-12"), Optional.empty()));
    sessionChunks = split(connect.concat(stream).compact());
    settings = new MqttSettings(327_688);
    system = ActorSystem.create("MqttCodecBenchmark");
  }

  private static List<ByteString> split(ByteString all) {
    List<ByteString> out = new ArrayList<>();
    for (int at = 0; at < all.length(); at += CHUNK) {
      out.add(all.slice(at, Math.min(all.length(), at + CHUNK)));
    }
    return out;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public MqttDecoded decode() {
    return MqttCodec.decode(encoded);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public ByteString encode() {
    return MqttCodec.encode(publish);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(PACKETS)
  public Done framing() throws Exception {
    return Source.from(chunks).via(new MqttFraming(settings.maxPacketSize()))
        .runWith(Sink.ignore(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(PACKETS)
  public Done inbound() throws Exception {
    return Source.from(sessionChunks).via(MqttCodecFlow.inbound(settings))
        .runWith(Sink.ignore(), system).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}

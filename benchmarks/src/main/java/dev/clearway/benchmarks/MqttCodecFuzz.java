package dev.clearway.benchmarks;

import dev.clearway.streams.mqtt.MqttCodec;
import dev.clearway.streams.mqtt.MqttDecodeError;
import dev.clearway.streams.mqtt.MqttDecoded;
import dev.clearway.streams.mqtt.MqttFrame;
import dev.clearway.streams.mqtt.MqttFramed;
import dev.clearway.streams.mqtt.MqttFraming;
import dev.clearway.streams.mqtt.MqttFramingError;
import dev.clearway.streams.mqtt.MqttFuzzInputs;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.mqtt.MqttSettings;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Long-running seeded fuzzing of the MQTT codec: random and mutated-valid inputs (the generators of
 * the streams tests) go through the real framing stage, cut into random chunks, and every frame
 * through {@link MqttCodec#decode}. It counts packets per type and errors per rule, fails on any
 * exception or on a decoded packet that does not re-encode to itself, and prints inputs per second
 * (input generation included).
 *
 * <p>How to run, from the repository root:
 *
 * <pre>
 *   mvn -B -q package -DskipTests
 *   java -cp benchmarks/target/benchmarks.jar dev.clearway.benchmarks.MqttCodecFuzz [inputs] [seed]
 * </pre>
 *
 * Defaults: 1,000,000 inputs, seed 311. Exit code 0 when the property held for every input, 1 if not;
 * the failing seed and input number are printed.
 */
public final class MqttCodecFuzz {

  private MqttCodecFuzz() {}

  /** Runs the fuzzer; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    long inputs = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
    long seed = args.length > 1 ? Long.parseLong(args[1]) : 311L;
    MqttFuzzInputs generator = new MqttFuzzInputs(seed);
    MqttSettings settings = new MqttSettings(4096);
    ActorSystem system = ActorSystem.create("MqttCodecFuzz");
    Map<String, Long> counts = new TreeMap<>();
    long[] index = {0};
    long start = System.nanoTime();
    try {
      // One substream per input, as if each were its own connection; the stage is materialized
      // fresh for each, so its state never leaks from one input to the next.
      Source.range(1, (int) inputs)
          .flatMapConcat(i -> {
            index[0] = i;
            ByteString input = generator.input();
            return Source.from(generator.chunks(input)).via(new MqttFraming(settings.maxPacketSize()));
          })
          .runWith(Sink.foreach(framed -> count(framed, counts, seed, index[0])), system)
          .toCompletableFuture().get(1, TimeUnit.HOURS);
    } catch (Exception e) {
      System.out.println("FAILED at seed " + seed + ", input #" + index[0] + ": " + e);
      e.printStackTrace(System.out);
      System.exit(1);
    } finally {
      system.terminate();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("MqttCodecFuzz seed=%d inputs=%d time=%.1fs rate=%.0f inputs/s%n", seed, inputs, seconds, inputs / seconds);
    counts.forEach((kind, n) -> System.out.printf("  %-40s %,12d%n", kind, n));
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static void count(MqttFramed framed, Map<String, Long> counts, long seed, long input) {
    String kind;
    if (framed instanceof MqttFramingError e) {
      kind = "framing error " + e.kind();
    } else {
      MqttDecoded decoded = MqttCodec.decode(((MqttFrame) framed).bytes());
      if (decoded instanceof MqttPacket packet) {
        MqttDecoded again = MqttCodec.decode(MqttCodec.encode(packet));
        if (!packet.equals(again)) {
          throw new IllegalStateException("seed " + seed + ", input #" + input + ": " + packet + " re-decoded as " + again);
        }
        kind = "packet " + packet.getClass().getSimpleName();
      } else {
        kind = "decode error " + ((MqttDecodeError) decoded).section();
      }
    }
    counts.merge(kind, 1L, Long::sum);
  }
}

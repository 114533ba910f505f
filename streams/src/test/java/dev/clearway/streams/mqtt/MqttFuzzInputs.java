package dev.clearway.streams.mqtt;

import dev.clearway.streams.mqtt.MqttPacket.ConnAck;
import dev.clearway.streams.mqtt.MqttPacket.Connect;
import dev.clearway.streams.mqtt.MqttPacket.Disconnect;
import dev.clearway.streams.mqtt.MqttPacket.PingReq;
import dev.clearway.streams.mqtt.MqttPacket.PingResp;
import dev.clearway.streams.mqtt.MqttPacket.PubAck;
import dev.clearway.streams.mqtt.MqttPacket.PubComp;
import dev.clearway.streams.mqtt.MqttPacket.PubRec;
import dev.clearway.streams.mqtt.MqttPacket.PubRel;
import dev.clearway.streams.mqtt.MqttPacket.Publish;
import dev.clearway.streams.mqtt.MqttPacket.SubAck;
import dev.clearway.streams.mqtt.MqttPacket.Subscribe;
import dev.clearway.streams.mqtt.MqttPacket.Subscription;
import dev.clearway.streams.mqtt.MqttPacket.UnsubAck;
import dev.clearway.streams.mqtt.MqttPacket.Unsubscribe;
import dev.clearway.streams.mqtt.MqttPacket.Will;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import org.apache.pekko.util.ByteString;

/**
 * Seeded generators of MQTT inputs for the fuzz test and for {@code MqttCodecFuzz} in benchmarks/:
 * random valid packets of every type, raw random bytes, and valid packets with a few random
 * mutations (bit flips, byte changes, insertions, deletions, truncation, junk appended). The same
 * seed gives the same sequence, so a failure is reproducible from the seed it prints.
 */
public final class MqttFuzzInputs {

  /** Characters for strings: mostly topic-ish ASCII, some multi-byte and a surrogate pair. */
  private static final String[] ALPHABET = {
    "a", "b", "z", "0", "9", "/", "/", "$", "%", "=", "&", ".", "-", "_", " ", "é", "ü", "日", "😀", "\uFEFF"
  };

  private final Random random;

  /** A generator whose whole sequence follows from the seed. */
  public MqttFuzzInputs(long seed) {
    this.random = new Random(seed);
  }

  /**
   * The next input: a quarter raw random bytes, half mutated valid packets, a quarter valid packets,
   * so that both deep decoder paths and the early rejections are exercised.
   */
  public ByteString input() {
    int kind = random.nextInt(4);
    if (kind == 0) {
      byte[] bytes = new byte[random.nextInt(48)];
      random.nextBytes(bytes);
      return ByteString.fromArray(bytes);
    }
    ByteString valid = MqttCodec.encode(packet());
    return kind == 3 ? valid : mutate(valid);
  }

  /** Splits bytes into random chunks of 1..64 bytes, as TCP might deliver them. */
  public List<ByteString> chunks(ByteString bytes) {
    List<ByteString> chunks = new ArrayList<>();
    for (int at = 0; at < bytes.length(); ) {
      int size = 1 + random.nextInt(64);
      chunks.add(bytes.slice(at, at + size));
      at += size;
    }
    return chunks;
  }

  /** A random valid packet of a random type. */
  public MqttPacket packet() {
    List<Supplier<MqttPacket>> makers = List.of(
        this::connect,
        () -> {
          int code = random.nextInt(6);
          return new ConnAck(code == 0 && random.nextBoolean(), code);
        },
        this::publish, this::publish, this::publish,
        () -> new PubAck(packetId()),
        () -> new PubRec(packetId()),
        () -> new PubRel(packetId()),
        () -> new PubComp(packetId()),
        this::subscribe,
        () -> new SubAck(packetId(), repeat(() -> List.of(0, 1, 2, SubAck.FAILURE).get(random.nextInt(4)))),
        () -> new Unsubscribe(packetId(), repeat(this::topicFilter)),
        () -> new UnsubAck(packetId()),
        PingReq::new,
        PingResp::new,
        Disconnect::new);
    return makers.get(random.nextInt(makers.size())).get();
  }

  private Connect connect() {
    Optional<Will> will = random.nextBoolean()
        ? Optional.of(new Will(topicName(), bytes(40), random.nextInt(3), random.nextBoolean()))
        : Optional.empty();
    Optional<String> username = random.nextBoolean() ? Optional.of(string(30)) : Optional.empty();
    Optional<ByteString> password = username.isPresent() && random.nextBoolean() ? Optional.of(bytes(60)) : Optional.empty();
    return new Connect(random.nextBoolean(), random.nextInt(65_536), string(23), will, username, password);
  }

  private Publish publish() {
    int qos = random.nextInt(3);
    return new Publish(qos > 0 && random.nextBoolean(), qos, random.nextBoolean(), topicName(),
        qos == 0 ? 0 : packetId(), bytes(random.nextInt(8) == 0 ? 1500 : 100));
  }

  private Subscribe subscribe() {
    return new Subscribe(packetId(), repeat(() -> new Subscription(topicFilter(), random.nextInt(3))));
  }

  private int packetId() {
    return random.nextInt(10) == 0 ? 65_535 : 1 + random.nextInt(65_535);
  }

  private <T> List<T> repeat(Supplier<T> element) {
    List<T> list = new ArrayList<>();
    int count = 1 + random.nextInt(4);
    for (int i = 0; i < count; i++) {
      list.add(element.get());
    }
    return list;
  }

  private String string(int maxChars) {
    StringBuilder s = new StringBuilder();
    int length = random.nextInt(maxChars + 1);
    for (int i = 0; i < length; i++) {
      s.append(ALPHABET[random.nextInt(ALPHABET.length)]);
    }
    return s.toString();
  }

  private String topicName() {
    String topic = string(40);
    return topic.isEmpty() ? "t" : topic;
  }

  /** A valid filter: levels of text, '+' for a whole level, optionally '#' as the last level. */
  private String topicFilter() {
    StringBuilder filter = new StringBuilder();
    int levels = 1 + random.nextInt(4);
    for (int i = 0; i < levels; i++) {
      if (i > 0) {
        filter.append('/');
      }
      filter.append(random.nextInt(4) == 0 ? "+" : string(8).replace("/", ""));
    }
    if (random.nextInt(3) == 0) {
      filter.append(filter.length() == 0 ? "#" : "/#");
    }
    return filter.length() == 0 ? "x" : filter.toString();
  }

  private ByteString bytes(int maxLength) {
    byte[] bytes = new byte[random.nextInt(maxLength + 1)];
    random.nextBytes(bytes);
    return ByteString.fromArray(bytes);
  }

  /** One to four random edits; edits near the front, where the headers are, are more likely. */
  private ByteString mutate(ByteString valid) {
    byte[] b = valid.toArray();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits && b.length > 0; e++) {
      int at = random.nextBoolean() ? random.nextInt(Math.min(b.length, 12)) : random.nextInt(b.length);
      switch (random.nextInt(6)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> b[at] = (byte) random.nextInt(256);
        case 2 -> b = splice(b, at, 0, new byte[] {(byte) random.nextInt(256)});
        case 3 -> b = splice(b, at, 1, new byte[0]);
        case 4 -> b = Arrays.copyOf(b, at);
        default -> {
          byte[] junk = new byte[1 + random.nextInt(8)];
          random.nextBytes(junk);
          b = splice(b, b.length, 0, junk);
        }
      }
    }
    return ByteString.fromArray(b);
  }

  private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
    byte[] out = new byte[b.length - remove + insert.length];
    System.arraycopy(b, 0, out, 0, at);
    System.arraycopy(insert, 0, out, at, insert.length);
    System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
    return out;
  }

  /**
   * The fuzz property for one decode result: a decoded packet re-encodes to bytes that decode to the
   * same packet. Returns null when it holds, else a description of the difference.
   */
  public static String roundTripFailure(MqttDecoded decoded) {
    if (decoded instanceof MqttPacket packet) {
      MqttDecoded again = MqttCodec.decode(MqttCodec.encode(packet));
      return packet.equals(again) ? null : packet + " re-decoded as " + again;
    }
    return decoded instanceof MqttDecodeError ? null : "neither packet nor error: " + decoded;
  }
}

package dev.clearway.streams.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

  @Test
  void roundTripKeepsEveryPartIncludingNullValuesUnicodeAndPropertyOrder() throws Exception {
    Message.Builder b = Message.builder().source("/messages/modules/filtre/outputs/sortie-é");
    for (SystemProperty p : SystemProperty.values()) {
      b.systemProperty(p, p.propertyName() + "-värde-😀");
    }
    Message m = b.property("zeta", "1").property("Alpha", null).property("ключ", "значение 😀").property("", "")
        .body("{\"t\":\"温度\"}")
        .build();

    Message back = MessageCodec.decode(MessageCodec.encode(m));

    assertThat(back).isEqualTo(m);
    assertThat(back.properties()).containsExactly(
        org.assertj.core.api.Assertions.entry("zeta", "1"), org.assertj.core.api.Assertions.entry("Alpha", null),
        org.assertj.core.api.Assertions.entry("ключ", "значение 😀"), org.assertj.core.api.Assertions.entry("", ""));
    assertThat(back.property("alpha")).hasValueSatisfying(p -> assertThat(p.value()).isNull());
  }

  @Test
  void roundTripOfAnEmptyMessageAndOfA256KiBBody() throws Exception {
    Message empty = Message.builder().build();
    assertThat(MessageCodec.decode(MessageCodec.encode(empty))).isEqualTo(empty);
    assertThat(MessageCodec.decode(MessageCodec.encode(empty)).bodyLength()).isZero();

    byte[] body = new byte[256 * 1024];
    new Random(7).nextBytes(body);
    Message big = Message.builder().body(body).build();
    Message back = MessageCodec.decode(MessageCodec.encode(big));
    assertThat(back.body()).isEqualTo(body);
  }

  @Test
  void everySingleBitFlipOrTruncationIsReportedAsCorruptNeverThrownAsSomethingElse() {
    byte[] good = MessageCodec.encode(Message.builder().property("a", null).property("b", "c").body("hello").build());
    for (int i = 0; i < good.length * 8; i++) {
      byte[] bad = good.clone();
      bad[i / 8] ^= (byte) (1 << (i % 8));
      assertThatThrownBy(() -> MessageCodec.decode(bad)).isInstanceOf(MessageCodec.CorruptRecordException.class);
    }
    for (int n = 0; n < good.length; n++) {
      byte[] cut = Arrays.copyOf(good, n);
      assertThatThrownBy(() -> MessageCodec.decode(cut)).isInstanceOf(MessageCodec.CorruptRecordException.class);
    }
  }

  @Test
  void randomBytesNeverEscapeAsAnythingButCorrupt() {
    Random random = new Random(42);
    for (int i = 0; i < 2000; i++) {
      byte[] junk = new byte[random.nextInt(64)];
      random.nextBytes(junk);
      assertThatThrownBy(() -> MessageCodec.decode(junk)).isInstanceOf(MessageCodec.CorruptRecordException.class);
    }
  }
}

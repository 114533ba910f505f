package dev.clearway.actors.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TwinDocumentTest {

  private static TwinDocument patched(String base, String patch) throws Exception {
    return TwinDocument.of(base, 1).patch(TwinDocument.parseObject(patch.getBytes(StandardCharsets.UTF_8)), 2, 32 * 1024);
  }

  private static String json(TwinDocument d) {
    return new String(TwinDocument.toBytes(d.withVersion()), StandardCharsets.UTF_8);
  }

  @Test
  void aPatchMergesNestedObjectsAndReplacesValues() throws Exception {
    TwinDocument d = patched("{\"a\":1,\"nested\":{\"x\":1,\"y\":2}}", "{\"a\":5,\"nested\":{\"y\":3,\"z\":4}}");

    assertThat(json(d)).isEqualTo("{\"a\":5,\"nested\":{\"x\":1,\"y\":3,\"z\":4},\"$version\":2}");
  }

  @Test
  void nullRemovesAPropertyAndIsNeverStored() throws Exception {
    TwinDocument d = patched("{\"a\":1,\"b\":2}", "{\"a\":null,\"c\":{\"d\":null,\"e\":1}}");

    assertThat(json(d)).isEqualTo("{\"b\":2,\"c\":{\"e\":1},\"$version\":2}");
  }

  @Test
  void aVersionInsideThePatchIsNotAProperty() throws Exception {
    TwinDocument d = patched("{}", "{\"$version\":99,\"a\":1}");

    assertThat(d.version()).isEqualTo(2);
    assertThat(json(d)).isEqualTo("{\"a\":1,\"$version\":2}");
  }

  @Test
  void invalidJsonANonObjectAndAnOversizedTwinAreRefused() {
    assertThatThrownBy(() -> TwinDocument.parseObject("{\"a\":".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(TwinDocument.InvalidTwinException.class).hasMessageStartingWith("not valid JSON");
    assertThatThrownBy(() -> TwinDocument.parseObject("[1,2]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(TwinDocument.InvalidTwinException.class).hasMessage("a twin patch must be a JSON object");
    String big = "{\"blob\":\"" + "x".repeat(40_000) + "\"}";
    assertThatThrownBy(() -> TwinDocument.empty().patch(TwinDocument.parseObject(big.getBytes(StandardCharsets.UTF_8)), 1, 32 * 1024))
        .isInstanceOf(TwinDocument.InvalidTwinException.class).hasMessageContaining("more than the 32768 allowed");
  }

  @Test
  void theGetAnswerHasBothSidesWithTheirVersions() throws Exception {
    byte[] twin = TwinDocument.twinJson(TwinDocument.of("{\"interval\":10}", 4), TwinDocument.of("{\"fw\":\"1.0\"}", 7));

    assertThat(new String(twin, StandardCharsets.UTF_8))
        .isEqualTo("{\"desired\":{\"interval\":10,\"$version\":4},\"reported\":{\"fw\":\"1.0\",\"$version\":7}}");
  }
}

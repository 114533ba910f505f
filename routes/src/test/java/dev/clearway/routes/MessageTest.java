package dev.clearway.routes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MessageTest {

  @Test
  void applicationPropertiesKeepCaseAndOrderAndLookUpIgnoringCase() {
    Message m = Message.builder().property("Zeta", "1").property("alpha", "2").property("Mid", null).build();
    assertThat(m.properties().keySet()).containsExactly("Zeta", "alpha", "Mid");
    assertThat(m.property("ZETA")).contains(new Message.Property("Zeta", "1"));
    assertThat(m.property(PropertyKey.of("ALPHA")).value()).isEqualTo("2");
    assertThat(m.property("mid")).hasValueSatisfying(p -> assertThat(p.value()).isNull());
    assertThat(m.property("nope")).isEmpty();
  }

  @Test
  void settingAPropertyAgainInAnotherCaseReplacesItInPlace() {
    Message m = Message.builder().property("a", "1").property("b", "2").property("A", "3").build();
    assertThat(m.properties()).containsExactly(java.util.Map.entry("A", "3"), java.util.Map.entry("b", "2"));
  }

  @Test
  void bodyIsCopiedInAndOut() {
    byte[] bytes = "abc".getBytes(StandardCharsets.UTF_8);
    Message m = Message.builder().body(bytes).build();
    bytes[0] = 'x';
    m.body()[1] = 'y';
    assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("abc");
    assertThat(m.bodyLength()).isEqualTo(3);
  }

  @Test
  void theBodyBufferIsAReadOnlyViewOfTheWholeBody() {
    Message m = Message.builder().body("abc").build();
    java.nio.ByteBuffer view = m.bodyBuffer();
    assertThat(view.isReadOnly()).isTrue();
    assertThat(view.remaining()).isEqualTo(3);
    assertThatThrownBy(() -> view.put(0, (byte) 'x')).isInstanceOf(java.nio.ReadOnlyBufferException.class);
    view.get(); // a view's position is its own
    assertThat(m.bodyBuffer().remaining()).isEqualTo(3);
  }

  @Test
  void aWrappedBodyIsTakenAsItIs() {
    byte[] bytes = "abc".getBytes(StandardCharsets.UTF_8);
    Message m = Message.builder().wrapBody(bytes).build();
    assertThat(m.body()).isEqualTo(bytes);
    assertThatThrownBy(() -> Message.builder().wrapBody(null)).isInstanceOf(NullPointerException.class).hasMessage("body");
  }

  @Test
  void defaultsAreDeviceTelemetryWithNothingSet() {
    Message m = Message.builder().build();
    assertThat(m.source()).isEqualTo("/messages");
    assertThat(m.systemProperties()).isEmpty();
    assertThat(m.systemProperty(SystemProperty.MESSAGE_ID)).isNull();
    assertThat(m.bodyLength()).isZero();
  }

  @Test
  void toBuilderCopiesEverythingAndLeavesTheOriginalAlone() {
    Message a =
        Message.builder()
            .source("/messages/modules/m1")
            .systemProperty(SystemProperty.CONNECTION_MODULE_ID, "m1")
            .property("k", "v")
            .body("b")
            .build();
    Message b = a.toBuilder().property("k2", "v2").build();
    assertThat(a.toBuilder().build()).isEqualTo(a).hasSameHashCodeAs(a);
    assertThat(b.properties()).containsKeys("k", "k2");
    assertThat(a.properties()).containsOnlyKeys("k");
    assertThat(b.systemProperty(SystemProperty.CONNECTION_MODULE_ID)).isEqualTo("m1");
  }

  @Test
  void everySystemPropertyOfRoutesMdIsKnownByItsConditionName() {
    List<String> names =
        List.of(
            "messageId", "correlationId", "userId", "to", "contentType", "contentEncoding",
            "connectionDeviceId", "connectionModuleId", "outputName", "inputName", "messageSchema",
            "creationTime", "enqueuedTime", "expiryTimeUtc", "dt-subject", "iothub-interface-id",
            "edgeHubOriginInterface");
    for (String n : names) {
      assertThat(SystemProperty.byName("$" + n.toUpperCase(java.util.Locale.ROOT)))
          .hasValueSatisfying(p -> assertThat(p.propertyName()).isEqualTo(n));
    }
    assertThat(SystemProperty.values()).hasSize(names.size());
  }

  @Test
  void jsonBodyIsParsedOnceEvenWhenManyThreadsAskAtOnce() throws Exception {
    Message m =
        TestMessages.json()
            .body("{\"a\": [1, 2, 3]}")
            .build();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return m.jsonBody().orElseThrow().get("a").size();
                }));
      }
      go.countDown();
      for (Future<Integer> f : results) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(3);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(m.bodyParses()).isEqualTo(1);
  }

  @Test
  void bodyIsNotJsonWithoutJsonContentTypeAndUtfEncoding() {
    Message.Builder b = Message.builder().body("{\"a\":1}");
    assertThat(b.build().jsonBody()).isEmpty();
    b.systemProperty(SystemProperty.CONTENT_TYPE, "application/json");
    assertThat(b.build().jsonBody()).isEmpty();
    b.systemProperty(SystemProperty.CONTENT_ENCODING, "utf-8");
    assertThat(b.build().jsonBody()).isPresent();
    b.systemProperty(SystemProperty.CONTENT_TYPE, "application/jsonx");
    assertThat(b.build().jsonBody()).isEmpty();
  }
}

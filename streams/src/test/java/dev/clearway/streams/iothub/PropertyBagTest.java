package dev.clearway.streams.iothub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.streams.iothub.PropertyBag.Entry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PropertyBagTest {

  @Test
  void namesAndValuesAreUrlDecodedInOrder() throws Exception {
    assertThat(PropertyBag.decode("%24.ct=application%2Fjson&%24.ce=utf-8&temp%20alert=hot%26humid&flag"))
        .containsExactly(new Entry("$.ct", "application/json"), new Entry("$.ce", "utf-8"),
            new Entry("temp alert", "hot&humid"), new Entry("flag", null));
  }

  @Test
  void aPlusIsALiteralPlusNotASpace() throws Exception {
    assertThat(PropertyBag.decode("tz=%2B01:00&raw=a+b")).containsExactly(new Entry("tz", "+01:00"), new Entry("raw", "a+b"));
  }

  @Test
  void emptyBagsAndEmptyPairsCarryNothing() throws Exception {
    assertThat(PropertyBag.decode("")).isEmpty();
    assertThat(PropertyBag.decode("a=1&&b=2&")).containsExactly(new Entry("a", "1"), new Entry("b", "2"));
    assertThat(PropertyBag.decode("a=")).containsExactly(new Entry("a", ""));
  }

  @Test
  void malformedBagsAreRefusedNamingTheEntry() {
    assertThatThrownBy(() -> PropertyBag.decode("=v")).hasMessage("property bag entry '=v' has no name");
    assertThatThrownBy(() -> PropertyBag.decode("a=%G1")).hasMessage("property bag entry 'a=%G1' has a malformed percent-encoding");
  }

  @Test
  void encodingRoundTrips() throws Exception {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("$.mid", "id 1");
    props.put("k&=", "v/+?");
    props.put("none", null);

    String bag = PropertyBag.encode(props);

    assertThat(bag).doesNotContain(" ").doesNotContain("+");
    assertThat(PropertyBag.decode(bag)).containsExactly(new Entry("$.mid", "id 1"), new Entry("k&=", "v/+?"), new Entry("none", null));
  }

  @Test
  void systemKeysMapToRouteLanguageNames() {
    assertThat(SystemKeys.routeName("$.ct")).contains("contentType");
    assertThat(SystemKeys.routeName("$.exp")).contains("expiryTimeUtc");
    assertThat(SystemKeys.routeName("$.sub")).contains("dt-subject");
    assertThat(SystemKeys.routeName("ct")).isEmpty();
    assertThat(SystemKeys.bagKey("messageId")).contains("$.mid");
    assertThat(SystemKeys.bagKey("connectionDeviceId")).as("module inputs name the sender").contains("$.cdid");
    assertThat(SystemKeys.bagKey("connectionModuleId")).contains("$.cmid");
    for (String key : List.of("$.mid", "$.cid", "$.uid", "$.to", "$.exp", "$.ct", "$.ce", "$.on", "$.schema", "$.ctime", "$.ifid", "$.sub")) {
      assertThat(SystemKeys.routeName(key)).as(key).isPresent();
    }
  }
}

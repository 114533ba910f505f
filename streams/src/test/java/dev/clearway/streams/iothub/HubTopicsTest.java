package dev.clearway.streams.iothub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HubTopicsTest {

  @Test
  void telemetryGoesUpAsTheSendingIdentityWithItsPropertiesButNotTheHubStampedOnes() throws Exception {
    Message m = TelemetryMessages.fromDevice("d1", Optional.empty(), List.of(
            new PropertyBag.Entry("$.mid", "m 1"), new PropertyBag.Entry("$.ct", "application/json"),
            new PropertyBag.Entry("alert", "a&b=c"), new PropertyBag.Entry("$.cdid", "spoofed")),
        new byte[0], false, Instant.EPOCH);

    String topic = HubTopics.telemetry(m);

    assertThat(topic).startsWith("devices/d1/messages/events/");
    List<PropertyBag.Entry> bag = PropertyBag.decode(topic.substring("devices/d1/messages/events/".length()));
    assertThat(bag).containsExactlyInAnyOrder(new PropertyBag.Entry("$.mid", "m 1"),
        new PropertyBag.Entry("$.ct", "application/json"), new PropertyBag.Entry("alert", "a&b=c"));
  }

  @Test
  void moduleTelemetryKeepsItsOutputName() {
    Message m = TelemetryMessages.fromDevice("gw", Optional.of("filter"), List.of(new PropertyBag.Entry("$.on", "out1")),
        new byte[0], false, Instant.EPOCH);
    assertThat(HubTopics.telemetry(m)).isEqualTo("devices/gw/modules/filter/messages/events/%24.on=out1");
    assertThat(m.systemProperty(SystemProperty.CONNECTION_MODULE_ID)).isEqualTo("filter");
  }

  @Test
  void aDeviceSubscribesToCloudToDeviceButAModuleDoesNot() {
    assertThat(HubTopics.subscriptions("d1", Optional.empty())).contains("devices/d1/messages/devicebound/#", "$iothub/methods/POST/#");
    assertThat(HubTopics.subscriptions("gw", Optional.of("m"))).noneMatch(f -> f.contains("devicebound"))
        .contains("$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#");
    assertThat(HubTopics.userName("hub.example", "gw/m")).isEqualTo("hub.example/gw/m/?api-version=" + HubTopics.API_VERSION);
  }

  @Test
  void parsesWhatTheHubSends() {
    assertThat(HubTopics.parse("devices/d1/messages/devicebound/%24.mid=7&k=v", "d1"))
        .isEqualTo(new HubTopics.CloudToDevice(List.of(new PropertyBag.Entry("$.mid", "7"), new PropertyBag.Entry("k", "v"))));
    assertThat(HubTopics.parse("$iothub/twin/res/204/?$rid=3&$version=12", "d1"))
        .isEqualTo(new HubTopics.TwinResponse(204, "3", Optional.of(12L)));
    assertThat(HubTopics.parse("$iothub/twin/res/200/?$rid=4", "d1")).isEqualTo(new HubTopics.TwinResponse(200, "4", Optional.empty()));
    assertThat(HubTopics.parse("$iothub/twin/PATCH/properties/desired/?$version=5", "d1")).isEqualTo(new HubTopics.DesiredPatch(5));
    assertThat(HubTopics.parse("$iothub/methods/POST/reboot/?$rid=ab", "d1")).isEqualTo(new HubTopics.MethodRequest("reboot", "ab"));
  }

  @Test
  void whatItCannotReadIsUnknownWithTheReason() {
    assertThat(HubTopics.parse("devices/other/messages/devicebound/", "d1")).isInstanceOf(HubTopics.Unknown.class);
    assertThat(HubTopics.parse("$iothub/twin/res/abc/?$rid=1", "d1")).isInstanceOf(HubTopics.Unknown.class);
    assertThat(HubTopics.parse("$iothub/methods/POST/reboot/", "d1"))
        .isInstanceOfSatisfying(HubTopics.Unknown.class, u -> assertThat(u.reason()).contains("$rid"));
    assertThat(HubTopics.parse("$iothub/twin/PATCH/properties/desired/?x=1", "d1"))
        .isInstanceOfSatisfying(HubTopics.Unknown.class, u -> assertThat(u.reason()).contains("$version"));
  }
}

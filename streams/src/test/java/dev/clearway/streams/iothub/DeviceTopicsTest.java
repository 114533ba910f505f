package dev.clearway.streams.iothub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.streams.iothub.DeviceTopics.Foreign;
import dev.clearway.streams.iothub.DeviceTopics.MethodResponse;
import dev.clearway.streams.iothub.DeviceTopics.Subscription;
import dev.clearway.streams.iothub.DeviceTopics.Telemetry;
import dev.clearway.streams.iothub.DeviceTopics.TwinGet;
import dev.clearway.streams.iothub.DeviceTopics.TwinReportedPatch;
import dev.clearway.streams.iothub.DeviceTopics.Unsupported;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeviceTopicsTest {
  private static final Optional<String> NO_MODULE = Optional.empty();

  @Test
  void deviceTelemetryCarriesItsPropertyBag() {
    assertThat(DeviceTopics.parsePublish("devices/d1/messages/events/", "d1", NO_MODULE)).isEqualTo(new Telemetry(""));
    assertThat(DeviceTopics.parsePublish("devices/d1/messages/events", "d1", NO_MODULE)).isEqualTo(new Telemetry(""));
    assertThat(DeviceTopics.parsePublish("devices/d1/messages/events/%24.ct=application%2Fjson&a=1", "d1", NO_MODULE))
        .isEqualTo(new Telemetry("%24.ct=application%2Fjson&a=1"));
    assertThat(DeviceTopics.parsePublish("devices/d1/messages/events/path=a/b", "d1", NO_MODULE)).isEqualTo(new Telemetry("path=a/b"));
  }

  @Test
  void moduleTelemetryIsOnTheModulesOwnTopic() {
    assertThat(DeviceTopics.parsePublish("devices/d1/modules/m1/messages/events/$.on=out1", "d1", Optional.of("m1")))
        .isEqualTo(new Telemetry("$.on=out1"));
  }

  @Test
  void topicsNamingAnotherIdentityAreForeign() {
    assertThat(DeviceTopics.parsePublish("devices/d2/messages/events/", "d1", NO_MODULE)).isInstanceOf(Foreign.class);
    assertThat(DeviceTopics.parsePublish("devices/d1/modules/m2/messages/events/", "d1", Optional.of("m1"))).isInstanceOf(Foreign.class);
    assertThat(DeviceTopics.parsePublish("devices/d1/modules/m1/messages/events/", "d1", NO_MODULE)).isInstanceOf(Foreign.class);
    assertThat(DeviceTopics.parsePublish("devices/d1/messages/events/", "d1", Optional.of("m1"))).isInstanceOf(Foreign.class);
    // ids compare exactly: d1 is not D1, and d1 is not a prefix of d10
    assertThat(DeviceTopics.parsePublish("devices/D1/messages/events/", "d1", NO_MODULE)).isInstanceOf(Foreign.class);
    assertThat(DeviceTopics.parsePublish("devices/d10/messages/events/", "d1", NO_MODULE)).isInstanceOf(Foreign.class);
  }

  @Test
  void twinAndMethodTopicsCarryTheirRequestIds() {
    assertThat(DeviceTopics.parsePublish("$iothub/twin/GET/?$rid=7", "d1", NO_MODULE)).isEqualTo(new TwinGet("7"));
    assertThat(DeviceTopics.parsePublish("$iothub/twin/PATCH/properties/reported/?$rid=abc&$version=3", "d1", NO_MODULE))
        .isEqualTo(new TwinReportedPatch("abc"));
    assertThat(DeviceTopics.parsePublish("$iothub/methods/res/200/?$rid=42", "d1", NO_MODULE)).isEqualTo(new MethodResponse(200, "42"));
  }

  @Test
  void otherTopicsAreUnsupportedWithAReason() {
    for (String t : List.of("telemetry", "devices/d1", "devices/d1/messages/devicebound/x", "$iothub/twin/GET/",
        "$iothub/methods/res/ok/?$rid=1", "$iothub/twin/PATCH/properties/desired/?$rid=1")) {
      assertThat(DeviceTopics.parsePublish(t, "d1", NO_MODULE)).as(t).isInstanceOfSatisfying(Unsupported.class,
          u -> assertThat(u.reason()).contains("'" + t + "'"));
    }
  }

  @Test
  void subscriptionsAreRecognisedForTheirOwnIdentityOnly() {
    assertThat(DeviceTopics.parseSubscription("devices/d1/messages/devicebound/#", "d1", NO_MODULE).subscription())
        .contains(Subscription.CLOUD_TO_DEVICE);
    assertThat(DeviceTopics.parseSubscription("devices/d1/modules/m1/#", "d1", Optional.of("m1")).subscription())
        .contains(Subscription.MODULE_INPUTS);
    assertThat(DeviceTopics.parseSubscription("devices/d1/modules/m1/inputs/#", "d1", Optional.of("m1")).subscription())
        .contains(Subscription.MODULE_INPUTS);
    assertThat(DeviceTopics.parseSubscription("$iothub/twin/res/#", "d1", NO_MODULE).subscription()).contains(Subscription.TWIN_RESPONSES);
    assertThat(DeviceTopics.parseSubscription("$iothub/twin/PATCH/properties/desired/#", "d1", NO_MODULE).subscription())
        .contains(Subscription.DESIRED_PROPERTIES);
    assertThat(DeviceTopics.parseSubscription("$iothub/methods/POST/#", "d1", NO_MODULE).subscription()).contains(Subscription.METHODS);

    assertThat(DeviceTopics.parseSubscription("devices/d2/messages/devicebound/#", "d1", NO_MODULE).foreign()).isTrue();
    assertThat(DeviceTopics.parseSubscription("devices/d1/modules/m2/#", "d1", Optional.of("m1")).foreign()).isTrue();
    DeviceTopics.SubscriptionParse other = DeviceTopics.parseSubscription("#", "d1", NO_MODULE);
    assertThat(other.subscription()).isEmpty();
    assertThat(other.foreign()).isFalse();
    assertThat(other.refusal()).contains("not a topic filter IoT Hub offers");
  }

  @Test
  void gatewayTopicsFollowIotHubsNames() {
    assertThat(DeviceTopics.cloudToDevice("d1", "a=1")).isEqualTo("devices/d1/messages/devicebound/a=1");
    assertThat(DeviceTopics.moduleInput("d1", "m1", "in1", "")).isEqualTo("devices/d1/modules/m1/inputs/in1/");
    assertThat(DeviceTopics.twinResponse(204, "9", Optional.of(5L))).isEqualTo("$iothub/twin/res/204/?$rid=9&$version=5");
    assertThat(DeviceTopics.twinResponse(200, "9", Optional.empty())).isEqualTo("$iothub/twin/res/200/?$rid=9");
    assertThat(DeviceTopics.desiredPatch(12)).isEqualTo("$iothub/twin/PATCH/properties/desired/?$version=12");
    assertThat(DeviceTopics.methodRequest("reboot", "1")).isEqualTo("$iothub/methods/POST/reboot/?$rid=1");
  }
}

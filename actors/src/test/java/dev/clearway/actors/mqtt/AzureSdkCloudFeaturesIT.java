package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.IotHubMessageResult;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.AzureSdkTwin;
import dev.clearway.actors.GatewayIT;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.session.DeviceSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.Test;

/**
 * Cloud-to-device messages, twin GET, reported and desired patches, and direct methods round trip
 * between the unmodified Azure SDK and the device session — the hub-facing side played by the test,
 * as the uplink will play it.
 */
class AzureSdkCloudFeaturesIT extends GatewayIT {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private DeviceClient device(String id) throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas(id, null);
    return new DeviceClient(GatewayFixture.connectionString(id, null, keys.primaryKey()), IotHubClientProtocol.MQTT,
        ClientOptions.builder().sslContext(gateway.clientTrust()).build());
  }

  private EntityRef<DeviceSession.Command> session(String id) {
    return ClusterSharding.get(gateway.gateway().system()).entityRefFor(DeviceSession.TYPE_KEY, id);
  }

  @Test
  void aCloudToDeviceMessageReachesTheDeviceAndIsCompletedByItsAcknowledgement() throws Exception {
    DeviceClient client = device("c2d-device");
    BlockingQueue<com.microsoft.azure.sdk.iot.device.Message> received = new LinkedBlockingQueue<>();
    client.setMessageCallback((message, context) -> {
      received.add(message);
      return IotHubMessageResult.COMPLETE;
    }, null);
    TestProbe<DeviceSession.CloudToDeviceOutcome> hub = TestProbe.create(gateway.gateway().system());
    try {
      client.open(false);
      session("c2d-device").tell(new DeviceSession.CloudToDevice("lock-1", Map.of("messageId", "c2d-1"), Map.of("command", "open valve"),
          "{\"valve\":3}".getBytes(StandardCharsets.UTF_8), hub.getRef()));

      com.microsoft.azure.sdk.iot.device.Message m = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(m).as("the SDK's message callback fired").isNotNull();
      assertThat(new String(m.getBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"valve\":3}");
      assertThat(m.getMessageId()).isEqualTo("c2d-1");
      assertThat(m.getProperty("command")).isEqualTo("open valve");
      DeviceSession.CloudToDeviceOutcome outcome = hub.expectMessageClass(DeviceSession.CloudToDeviceOutcome.class, WAIT);
      assertThat(outcome.completed()).isTrue();
      assertThat(outcome.lockToken()).isEqualTo("lock-1");
    } finally {
      client.close();
    }
  }

  @Test
  void twinGetReportedPatchAndDesiredPatchRoundTripThroughTheSdk() throws Exception {
    DeviceClient client = device("twin-device");
    session("twin-device").tell(new DeviceSession.TwinFromHub("{\"interval\":10}", 4, "{\"firmware\":\"1.0\"}", 7));
    BlockingQueue<Twin> desiredUpdates = new LinkedBlockingQueue<>();
    try {
      client.open(false);
      // The SDK insists on the desired-properties subscription before a twin GET.
      client.subscribeToDesiredProperties((t, context) -> desiredUpdates.add(t), null);

      Twin twin = AzureSdkTwin.getTwin(client);
      assertThat(((Number) twin.getDesiredProperties().get("interval")).intValue()).isEqualTo(10);
      assertThat(twin.getDesiredProperties().getVersion()).isEqualTo(4);
      assertThat(twin.getReportedProperties()).containsEntry("firmware", "1.0");

      TwinCollection reported = new TwinCollection();
      reported.put("firmware", "1.1");
      reported.put("battery", 87);
      AzureSdkTwin.Reported response = AzureSdkTwin.updateReportedProperties(client, reported);
      // 8, unless the SDK lost an answer and the patch went a second time (a version per patch).
      assertThat(response.response().getVersion()).isEqualTo(7 + response.attempts());

      session("twin-device").tell(new DeviceSession.DesiredPatchFromHub(5, "{\"interval\":30}"));
      Twin update = desiredUpdates.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(update).as("the SDK's desired-properties callback fired").isNotNull();
      assertThat(((Number) update.getDesiredProperties().get("interval")).intValue()).isEqualTo(30);

      TestProbe<DeviceSession.CachedTwin> probe = TestProbe.create(gateway.gateway().system());
      session("twin-device").tell(new DeviceSession.GetTwin(probe.getRef()));
      DeviceSession.CachedTwin cached = probe.expectMessageClass(DeviceSession.CachedTwin.class, WAIT);
      assertThat(new String(cached.twinJson(), StandardCharsets.UTF_8))
          .contains("\"interval\":30", "\"firmware\":\"1.1\"", "\"battery\":87");
      assertThat(cached.reportedChangedOffline()).as("marked for the uplink to sync").isTrue();
    } finally {
      client.close();
    }
  }

  @Test
  void aDirectMethodIsAnsweredByTheDeviceThroughTheSdk() throws Exception {
    DeviceClient client = device("method-device");
    TestProbe<DeviceSession.MethodResult> hub = TestProbe.create(gateway.gateway().system());
    try {
      client.open(false);
      client.subscribeToMethods((method, payload, context) ->
          new DirectMethodResponse(200, Map.of("method", method, "echo", payload.getPayloadAsJsonString())), null);

      session("method-device").tell(new DeviceSession.InvokeMethod("reboot", "{\"delay\":5}".getBytes(StandardCharsets.UTF_8),
          Duration.ofSeconds(20), hub.getRef()));

      DeviceSession.MethodResult result = hub.expectMessageClass(DeviceSession.MethodResult.class, WAIT);
      assertThat(result.status()).isEqualTo(200);
      assertThat(new String(result.payload(), StandardCharsets.UTF_8)).contains("\"method\":\"reboot\"").contains("delay");
    } finally {
      client.close();
    }
  }

  @Test
  void aModuleReceivesARoutedMessageOnItsInputAndItsAcknowledgementCompletesIt() throws Exception {
    gateway.addSas("module-host", null);
    Credentials.SymmetricKey keys = gateway.addSas("module-host", "consumer");
    ModuleClient module = new ModuleClient(GatewayFixture.connectionString("module-host", "consumer", keys.primaryKey()),
        IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(gateway.clientTrust()).build());
    BlockingQueue<com.microsoft.azure.sdk.iot.device.Message> onInput1 = new LinkedBlockingQueue<>();
    module.setMessageCallback("input1", (message, context) -> {
      onInput1.add(message);
      return IotHubMessageResult.COMPLETE;
    }, null);
    TestProbe<DeviceSession.CloudToDeviceOutcome> router = TestProbe.create(gateway.gateway().system());
    try {
      module.open(false);
      session("module-host/consumer").tell(new DeviceSession.CloudToDevice("route-1",
          Map.of("inputName", "input1", "connectionDeviceId", "sensor-9"), Map.of("alert", "hot"),
          "{\"t\":41}".getBytes(StandardCharsets.UTF_8), router.getRef()));

      com.microsoft.azure.sdk.iot.device.Message m = onInput1.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(m).as("the SDK's input1 callback fired").isNotNull();
      assertThat(new String(m.getBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"t\":41}");
      assertThat(m.getProperty("alert")).isEqualTo("hot");
      // (The SDK 2.5.0 does not surface the $.cdid/$.cmid sender ids the topic carries.)
      assertThat(router.expectMessageClass(DeviceSession.CloudToDeviceOutcome.class, WAIT).completed()).isTrue();
    } finally {
      module.close();
    }
  }

  @Test
  void aMethodForADisconnectedDeviceIsAnswered404() throws Exception {
    gateway.addSas("offline-device", null);
    TestProbe<DeviceSession.MethodResult> hub = TestProbe.create(gateway.gateway().system());

    session("offline-device").tell(new DeviceSession.InvokeMethod("reboot", new byte[0], Duration.ZERO, hub.getRef()));

    assertThat(hub.expectMessageClass(DeviceSession.MethodResult.class, WAIT).status()).isEqualTo(404);
  }
}

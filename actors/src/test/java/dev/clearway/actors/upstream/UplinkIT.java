package dev.clearway.actors.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.IotHubMessageResult;
import com.microsoft.azure.sdk.iot.device.Message;
import com.microsoft.azure.sdk.iot.device.twin.DirectMethodResponse;
import com.microsoft.azure.sdk.iot.device.twin.Twin;
import com.microsoft.azure.sdk.iot.device.twin.TwinCollection;
import dev.clearway.actors.AzureSdkTwin;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.hub.HubStandIn;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Endpoint;
import dev.clearway.tls.DemoPki;
import dev.clearway.tls.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path with real parts on both ends: the unmodified Azure IoT device SDK → Clearway
 * (MQTT/TLS, a route with a WHERE clause, the store) → the uplink → the hub stand-in (a real broker
 * that checks IoT Hub's SAS tokens), and the hub's cloud-to-device messages, twin and direct methods
 * back down to the SDK's own callbacks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UplinkIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String GATEWAY_ID = "clearway-gw";

  @TempDir static Path dataDir;
  private HubStandIn hub;
  private GatewayFixture gateway;

  @BeforeAll
  void start() throws Exception {
    hub = HubStandIn.start(GatewayFixture.HUB);
    gateway = GatewayFixture.start(dataDir, 8883, hub.registerGatewayConfig(GATEWAY_ID) + """
        clearway.upstream.reconnect.max-backoff = 2s
        clearway.routes.upstream = "FROM /messages/* WHERE alert = 'true' OR $connectionDeviceId <> 'filtered-device' INTO $upstream"
        """);
  }

  @AfterAll
  void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  /** A SAS device known to the gateway and, with the same key, to the hub. */
  private DeviceClient sasDevice(String id) throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas(id, null);
    hub.registerDevice(id, keys.primaryKey());
    return new DeviceClient(GatewayFixture.connectionString(id, null, keys.primaryKey()), IotHubClientProtocol.MQTT,
        ClientOptions.builder().sslContext(gateway.clientTrust()).build());
  }

  /** The identity's uplink connection is up and subscribed at the hub (the device's arrival opened it). */
  private void awaitUplinkSubscribed(String identity, String filter) {
    await().atMost(WAIT).until(() -> hub.subscriptions(identity).contains(filter));
  }

  private static Message message(String body, String messageId) {
    Message m = new Message(body.getBytes(StandardCharsets.UTF_8));
    m.setMessageId(messageId);
    return m;
  }

  @Test
  void telemetryPassingTheWhereClauseReachesTheHubWithItsPropertiesAndARejectedOneDoesNot() throws Exception {
    DeviceClient client = sasDevice("filtered-device");
    long noRouteBefore = gateway.gateway().counters().get(GatewayCounters.MESSAGES_DROPPED, "no_route");
    try {
      client.open(false);
      Message rejected = message("{\"t\":1}", "m-rejected");
      rejected.setProperty("alert", "false");
      client.sendEvent(rejected);
      Message passing = message("{\"t\":99}", "m-alert");
      passing.setProperty("alert", "true");
      passing.setContentType("application/json");
      passing.setContentEncoding("utf-8");
      passing.setCorrelationId("corr-7");
      client.sendEvent(passing);
    } finally {
      client.close();
    }

    HubStandIn.Telemetry t = hub.awaitTelemetry(x -> x.identity().equals("filtered-device"), WAIT);
    assertThat(t.bodyAsString()).isEqualTo("{\"t\":99}");
    assertThat(t.properties()).containsEntry("$.mid", "m-alert").containsEntry("alert", "true")
        .containsEntry("$.ct", "application/json").containsEntry("$.ce", "utf-8").containsEntry("$.cid", "corr-7");
    // The rejected one was sent first on the same connection: had it been routed, it would be here already.
    assertThat(hub.telemetry()).filteredOn(x -> x.identity().equals("filtered-device")).hasSize(1);
    assertThat(gateway.gateway().counters().get(GatewayCounters.MESSAGES_DROPPED, "no_route")).isGreaterThan(noRouteBefore);
    // The device's own key signed the uplink's token.
    assertThat(hub.connects()).anySatisfy(c -> {
      assertThat(c.clientId()).isEqualTo("filtered-device");
      assertThat(c.auth()).isEqualTo(HubStandIn.Auth.OWN_KEY);
    });
    await().atMost(WAIT).until(() -> gateway.gateway().store().queueLength(Endpoint.UPSTREAM, 10) == 0);
    assertThat(gateway.gateway().upstreamStatus().connectivity()).isEqualTo(UpstreamStatus.Connectivity.ONLINE);
  }

  @Test
  void anX509DeviceIsConnectedUpstreamOnTheGatewaysBehalf() throws Exception {
    Path certs = dataDir.resolve("x509");
    DemoPki.Created cert = DemoPki.createDevice(certs, "x509-device", true, DemoPki.Options.defaults(), Clock.systemUTC());
    gateway.gateway().registry().add(new Identity("x509-device", Optional.empty(),
        new Credentials.X509Thumbprint(cert.thumbprints().orElseThrow().sha256(), Optional.empty())));
    hub.registerChild(GATEWAY_ID, "x509-device");
    DeviceClient client = new DeviceClient("HostName=" + GatewayFixture.HUB + ";DeviceId=x509-device;x509=true;GatewayHostName="
        + GatewayFixture.GATEWAY_HOST, IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(gateway.clientContext(
            Pem.readPrivateKey(DemoPki.deviceKey(certs, "x509-device")), Pem.readCertificates(DemoPki.deviceFullChain(certs, "x509-device"))))
        .build());
    try {
      client.open(false);
      client.sendEvent(message("from an X.509 device", "x-1"));
    } finally {
      client.close();
    }

    assertThat(hub.awaitTelemetry(x -> x.identity().equals("x509-device"), WAIT).bodyAsString()).isEqualTo("from an X.509 device");
    assertThat(hub.connects()).anySatisfy(c -> {
      assertThat(c.clientId()).isEqualTo("x509-device");
      assertThat(c.auth()).isEqualTo(HubStandIn.Auth.ON_BEHALF_OF);
    });
  }

  @Test
  void aCloudToDeviceMessageFromTheHubReachesTheSdkAndIsCompletedAtTheHub() throws Exception {
    DeviceClient client = sasDevice("c2d-device");
    BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    client.setMessageCallback((m, context) -> {
      received.add(m);
      return IotHubMessageResult.COMPLETE;
    }, null);
    try {
      client.open(false);
      // The hub delivers to the identity's uplink connection, which the device's arrival opened.
      awaitUplinkSubscribed("c2d-device", "devices/c2d-device/messages/devicebound/#");
      String messageId = hub.sendCloudToDevice("c2d-device", "{\"valve\":3}".getBytes(StandardCharsets.UTF_8), Map.of("command", "open valve"));

      Message m = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(m).as("the SDK's message callback fired").isNotNull();
      assertThat(new String(m.getBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"valve\":3}");
      assertThat(m.getMessageId()).isEqualTo(messageId);
      assertThat(m.getProperty("command")).isEqualTo("open valve");
      await().atMost(WAIT).until(() -> hub.cloudToDeviceCompleted("c2d-device") == 1);
    } finally {
      client.close();
    }
  }

  @Test
  void twinGetReportedAndDesiredPatchesRoundTripWithTheHub() throws Exception {
    DeviceClient client = sasDevice("twin-device");
    hub.patchDesired("twin-device", "{\"interval\":10}");
    BlockingQueue<Twin> desiredUpdates = new LinkedBlockingQueue<>();
    try {
      client.open(false);
      client.subscribeToDesiredProperties((t, context) -> desiredUpdates.add(t), null);
      awaitUplinkSubscribed("twin-device", "$iothub/twin/res/#");

      Twin twin = AzureSdkTwin.getTwin(client);
      assertThat(((Number) twin.getDesiredProperties().get("interval")).intValue()).isEqualTo(10);
      assertThat(twin.getDesiredProperties().getVersion()).isEqualTo((int) hub.twin("twin-device").desiredVersion());

      TwinCollection reported = new TwinCollection();
      reported.put("firmware", "1.1");
      AzureSdkTwin.updateReportedProperties(client, reported);
      await().atMost(WAIT).until(() -> hub.twin("twin-device").reported().path("firmware").asText().equals("1.1"));

      hub.patchDesired("twin-device", "{\"interval\":30}");
      Twin update = desiredUpdates.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(update).as("the SDK's desired-properties callback fired").isNotNull();
      assertThat(((Number) update.getDesiredProperties().get("interval")).intValue()).isEqualTo(30);
    } finally {
      client.close();
    }
  }

  @Test
  void aDirectMethodFromTheHubIsAnsweredByTheSdkAnd404WhenTheDeviceHasGone() throws Exception {
    DeviceClient client = sasDevice("method-device");
    try {
      client.open(false);
      client.subscribeToMethods((method, payload, context) ->
          new DirectMethodResponse(200, Map.of("rebooting", method)), null); // the SDK sends the payload object as JSON
      awaitUplinkSubscribed("method-device", "$iothub/methods/POST/#");

      HubStandIn.MethodResult result = hub.invokeMethod("method-device", "reboot", "{\"delay\":1}".getBytes(StandardCharsets.UTF_8), WAIT)
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);

      assertThat(result.status()).isEqualTo(200);
      assertThat(result.payloadAsString()).isEqualTo("{\"rebooting\":\"reboot\"}");
      client.sendEvent(message("keeps the uplink busy", "m-method")); // traffic: the identity's uplink stays open
    } finally {
      client.close();
    }
    await().atMost(WAIT).until(() -> gateway.gateway().counters().connected().get() == 0);

    HubStandIn.MethodResult away = hub.invokeMethod("method-device", "reboot", new byte[0], WAIT).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(away.status()).isEqualTo(404);
    assertThat(away.payloadAsString()).as("answered by the gateway, not the hub").contains("not connected");
  }

  @Test
  void whileTheHubIsDownTwinGetIsAnsweredFromTheKeptTwinAndReportedPatchesAreSyncedWhenItReturns() throws Exception {
    DeviceClient client = sasDevice("offline-twin");
    hub.patchDesired("offline-twin", "{\"mode\":\"eco\"}");
    try {
      client.open(false);
      client.subscribeToDesiredProperties((t, context) -> { }, null);
      awaitUplinkSubscribed("offline-twin", "$iothub/twin/res/#");
      assertThat(AzureSdkTwin.getTwin(client).getDesiredProperties().get("mode")).isEqualTo("eco"); // fetched from the hub

      hub.stop();
      try {
        await().atMost(WAIT).until(() -> gateway.gateway().upstreamStatus().connectivity() == UpstreamStatus.Connectivity.OFFLINE);
        TwinCollection reported = new TwinCollection();
        reported.put("battery", 42);
        AzureSdkTwin.updateReportedProperties(client, reported); // accepted while the hub is away
        assertThat(AzureSdkTwin.getTwin(client).getDesiredProperties().get("mode")).isEqualTo("eco"); // from the kept twin
        assertThat(hub.reportedPatches("offline-twin")).isEmpty();
      } finally {
        hub.start(); // the other tests need the hub, whatever happened here
      }
      await().atMost(WAIT).until(() -> hub.twin("offline-twin").reported().path("battery").asInt() == 42);
      assertThat(gateway.gateway().upstreamStatus().connectivity()).isEqualTo(UpstreamStatus.Connectivity.ONLINE);
    } finally {
      client.close();
    }
  }
}

package dev.clearway.actors.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientState;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.exceptions.ConnectionFailedException;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient.Mqtt3Publishes;
import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish;
import dev.clearway.actors.hub.HubStandIn.Auth;
import dev.clearway.actors.hub.HubStandIn.Connect;
import dev.clearway.actors.hub.HubStandIn.MethodResult;
import dev.clearway.actors.hub.HubStandIn.Telemetry;
import dev.clearway.tls.SasToken;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hub stand-in, driven by the HiveMQ MQTT client acting as devices over TLS. Tokens come from
 * the gateway's own {@link SasToken}, so these tests also cross-check it against the stand-in's
 * independent verifier.
 */
class HubStandInTest {
  private static final String HUB = "clearway-test-hub.azure-devices.net";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final AtomicInteger IDS = new AtomicInteger();

  private static HubStandIn hub;
  private final List<Mqtt3BlockingClient> clients = new ArrayList<>();

  @BeforeAll
  static void startHub() {
    hub = HubStandIn.builder(HUB).plainPort(0).start();
  }

  @AfterAll
  static void closeHub() {
    if (hub != null) {
      hub.close();
    }
  }

  @AfterEach
  void disconnectDevices() {
    for (Mqtt3BlockingClient c : clients) {
      if (c.getState().isConnected()) {
        c.disconnect();
      }
    }
  }

  @Test
  void ownKeySasTokenIsAcceptedForADeviceAndAModule() {
    String device = newDevice();
    String module = register(device + "/filter");

    connect(device, ownToken(device));
    connect(module, ownToken(module));

    assertThat(hub.connects()).extracting(Connect::clientId, Connect::auth)
        .contains(tuple(device, Auth.OWN_KEY), tuple(module, Auth.OWN_KEY));
  }

  @Test
  void wrongKeyExpiredTokenWrongResourceAndBadUserNameAreRefused() {
    String device = newDevice();
    String other = newDevice();
    int refusedBefore = hub.refusedConnects();
    Instant later = Instant.now().plus(Duration.ofHours(1));

    assertRefused(device, userName(device), SasToken.create(resource(device), newKey(), later), Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
    assertRefused(device, userName(device), SasToken.create(resource(device), keyOf(device), Instant.now().minusSeconds(60)),
        Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
    assertRefused(device, userName(device), SasToken.create(resource(other), keyOf(other), later), Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);
    assertRefused(device, userName(other), ownToken(device), Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD);

    assertThat(hub.refusedConnects()).isEqualTo(refusedBefore + 4);
    assertThat(hub.connects()).extracting(Connect::clientId).doesNotContain(device);
  }

  @Test
  void onBehalfOfTokenIsAcceptedForARegisteredChildAndRefusedForAnyOtherDevice() {
    String gateway = "gw-" + IDS.incrementAndGet();
    String gatewayKey = newKey();
    hub.registerGateway(gateway, gatewayKey);
    String child = "child-" + IDS.incrementAndGet();
    hub.registerChild(gateway, child);
    String stranger = newDevice();
    String gatewayToken = SasToken.create(resource(gateway), gatewayKey, Instant.now().plus(Duration.ofHours(1)));

    connect(child, gatewayToken);
    assertRefused(stranger, userName(stranger), gatewayToken, Mqtt3ConnAckReturnCode.NOT_AUTHORIZED);

    assertThat(hub.connects()).filteredOn(c -> c.clientId().equals(child)).extracting(Connect::auth)
        .containsExactly(Auth.ON_BEHALF_OF);
    assertThat(hub.refusals()).anySatisfy(r -> assertThat(r.clientId()).isEqualTo(stranger));
  }

  @Test
  void plainListenerChecksTokensTheSameWay() {
    String device = newDevice();
    Mqtt3BlockingClient plain = MqttClient.builder().useMqttVersion3().identifier(device)
        .serverHost("127.0.0.1").serverPort(hub.plainPort().orElseThrow()).buildBlocking();
    clients.add(plain);

    plain.connectWith().simpleAuth().username(userName(device)).password(ownToken(device).getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send();

    assertThat(hub.plainPort().getAsInt()).isNotEqualTo(hub.tlsPort());
    assertThat(hub.connects()).extracting(Connect::clientId).contains(device);
  }

  @Test
  void publishOutsideItsOwnTelemetryTopicsIsDroppedAndClosesTheConnection() {
    String device = newDevice();
    String victim = newDevice();
    Mqtt3BlockingClient d = connect(device, ownToken(device));

    d.publishWith().topic("devices/" + victim + "/messages/events/").qos(MqttQos.AT_MOST_ONCE).payload(new byte[] {1}).send();

    await().atMost(WAIT).until(() -> d.getState() != MqttClientState.CONNECTED);
    assertThat(hub.protocolErrors()).anySatisfy(e -> assertThat(e.clientId()).isEqualTo(device));
    assertThat(hub.telemetry()).noneMatch(t -> t.deviceId().equals(victim));
  }

  @Test
  void telemetryIsRecordedWithItsDecodedPropertyBag() {
    String device = newDevice();
    String module = register(device + "/sensor");
    Mqtt3BlockingClient d = connect(device, ownToken(device));
    Mqtt3BlockingClient m = connect(module, ownToken(module));

    publish(d, "devices/" + device + "/messages/events/%24.mid=m-1&%24.cid=c-1&%24.ct=application%2Fjson&%24.ce=utf-8"
        + "&unit%20name=%C2%B0C%20%26%20more/", "{\"t\":21}");
    publish(m, "devices/" + device + "/modules/sensor/messages/events/", "plain");

    Telemetry fromDevice = hub.awaitTelemetry(t -> t.identity().equals(device), WAIT);
    assertThat(fromDevice.moduleId()).isEmpty();
    assertThat(fromDevice.properties()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "$.mid", "m-1", "$.cid", "c-1", "$.ct", "application/json", "$.ce", "utf-8", "unit name", "°C & more"));
    assertThat(fromDevice.bodyAsString()).isEqualTo("{\"t\":21}");
    Telemetry fromModule = hub.awaitTelemetry(t -> t.identity().equals(module), WAIT);
    assertThat(fromModule.deviceId()).isEqualTo(device);
    assertThat(fromModule.moduleId()).contains("sensor");
    assertThat(fromModule.properties()).isEmpty();
  }

  @Test
  void twinGetAndReportedPatchRoundTripWithVersions() {
    String device = newDevice();
    Mqtt3BlockingClient d = connect(device, ownToken(device));
    Mqtt3Publishes inbox = d.publishes(MqttGlobalPublishFilter.ALL);
    d.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE).send();

    publish(d, "$iothub/twin/GET/?$rid=1", "");
    Mqtt3Publish get = receive(inbox);
    assertThat(get.getTopic().toString()).isEqualTo("$iothub/twin/res/200/?$rid=1");
    assertThat(body(get)).isEqualTo("{\"desired\":{\"$version\":1},\"reported\":{\"$version\":1}}");

    publish(d, "$iothub/twin/PATCH/properties/reported/?$rid=2", "{\"fw\":\"1.0\",\"net\":{\"ssid\":\"x\",\"rssi\":-60}}");
    assertThat(receive(inbox).getTopic().toString()).isEqualTo("$iothub/twin/res/204/?$rid=2&$version=2");
    publish(d, "$iothub/twin/PATCH/properties/reported/?$rid=3", "{\"net\":{\"ssid\":null}}");
    assertThat(receive(inbox).getTopic().toString()).isEqualTo("$iothub/twin/res/204/?$rid=3&$version=3");
    publish(d, "$iothub/twin/PATCH/properties/reported/?$rid=4", "not json");
    assertThat(receive(inbox).getTopic().toString()).isEqualTo("$iothub/twin/res/400/?$rid=4");

    publish(d, "$iothub/twin/GET/?$rid=5", "");
    assertThat(body(receive(inbox)))
        .isEqualTo("{\"desired\":{\"$version\":1},\"reported\":{\"fw\":\"1.0\",\"net\":{\"rssi\":-60},\"$version\":3}}");
    assertThat(hub.twin(device).reportedVersion()).isEqualTo(3);
    assertThat(hub.twin(device).reported().toString()).isEqualTo("{\"fw\":\"1.0\",\"net\":{\"rssi\":-60}}");
    assertThat(hub.reportedPatches(device)).hasSize(2);
  }

  @Test
  void iothubTopicsAreScopedToTheirConnection() throws Exception {
    String a = newDevice();
    String b = newDevice();
    Mqtt3BlockingClient devA = connect(a, ownToken(a));
    Mqtt3BlockingClient devB = connect(b, ownToken(b));
    Mqtt3Publishes inboxA = devA.publishes(MqttGlobalPublishFilter.ALL);
    Mqtt3Publishes inboxB = devB.publishes(MqttGlobalPublishFilter.ALL);
    devA.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE).send();
    devA.subscribeWith().topicFilter("$iothub/methods/POST/#").qos(MqttQos.AT_LEAST_ONCE).send();
    // Wider than IoT Hub allows, so that A's requests would reach B too if the broker routed them.
    devB.subscribeWith().topicFilter("$iothub/#").qos(MqttQos.AT_LEAST_ONCE).send();

    publish(devA, "$iothub/twin/GET/?$rid=from-a", "");
    assertThat(receive(inboxA).getTopic().toString()).isEqualTo("$iothub/twin/res/200/?$rid=from-a");
    CompletableFuture<MethodResult> callA = hub.invokeMethod(a, "forA", new byte[0], WAIT);
    assertThat(receive(inboxA).getTopic().toString()).startsWith("$iothub/methods/POST/forA/");
    callA.cancel(true);

    // A's request, its response and the method call all went out before B asked anything, so had
    // the broker routed any of them to B it would reach B first: B's first two messages are its own.
    publish(devB, "$iothub/twin/GET/?$rid=from-b", "");
    assertThat(receive(inboxB).getTopic().toString()).isEqualTo("$iothub/twin/res/200/?$rid=from-b");
    CompletableFuture<MethodResult> callB = hub.invokeMethod(b, "forB", new byte[0], WAIT);
    assertThat(receive(inboxB).getTopic().toString()).startsWith("$iothub/methods/POST/forB/");
    callB.cancel(true);
  }

  @Test
  void desiredPatchReachesTheSubscribedClient() {
    String device = newDevice();
    Mqtt3BlockingClient d = connect(device, ownToken(device));
    Mqtt3Publishes inbox = d.publishes(MqttGlobalPublishFilter.ALL);
    d.subscribeWith().topicFilter("$iothub/twin/PATCH/properties/desired/#").qos(MqttQos.AT_LEAST_ONCE).send();

    assertThat(hub.subscriptions(device)).containsExactly("$iothub/twin/PATCH/properties/desired/#");
    long version = hub.patchDesired(device, "{\"interval\":30,\"mode\":{\"eco\":true}}");

    Mqtt3Publish patch = receive(inbox);
    assertThat(version).isEqualTo(2);
    assertThat(patch.getTopic().toString()).isEqualTo("$iothub/twin/PATCH/properties/desired/?$version=2");
    assertThat(body(patch)).isEqualTo("{\"interval\":30,\"mode\":{\"eco\":true},\"$version\":2}");
    assertThat(hub.twin(device).desired().get("interval").asInt()).isEqualTo(30);
  }

  @Test
  void cloudToDeviceReachesTheDeviceAndOnlyItsPubackIsCounted() {
    String device = newDevice();
    Mqtt3BlockingClient d = connect(device, ownToken(device));
    Mqtt3Publishes inbox = d.publishes(MqttGlobalPublishFilter.ALL);
    d.subscribeWith().topicFilter("devices/" + device + "/messages/devicebound/#").qos(MqttQos.AT_LEAST_ONCE).send();
    d.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE).send();
    publish(d, "$iothub/twin/GET/?$rid=1", ""); // a QoS 1 twin response, PUBACKed too, must not count
    receive(inbox);

    String messageId = hub.sendCloudToDevice(device, "hello".getBytes(StandardCharsets.UTF_8), Map.of("kind", "greeting & more"));

    Mqtt3Publish c2d = receive(inbox);
    String prefix = "devices/" + device + "/messages/devicebound/";
    assertThat(c2d.getTopic().toString()).startsWith(prefix);
    assertThat(c2d.getQos()).isEqualTo(MqttQos.AT_LEAST_ONCE);
    assertThat(HubTopics.decodeBag(c2d.getTopic().toString().substring(prefix.length()))).containsExactlyInAnyOrderEntriesOf(Map.of(
        "$.mid", messageId, "$.to", "/devices/" + device + "/messages/devicebound", "kind", "greeting & more"));
    assertThat(body(c2d)).isEqualTo("hello");
    await().atMost(WAIT).until(() -> hub.cloudToDeviceCompleted(device) == 1);
    assertThat(hub.cloudToDeviceCompleted(device)).isEqualTo(1);
  }

  @Test
  void directMethodRoundTripReturnsTheDevicesStatusAndPayload() throws Exception {
    String device = newDevice();
    Mqtt3BlockingClient d = connect(device, ownToken(device));
    Mqtt3Publishes inbox = d.publishes(MqttGlobalPublishFilter.ALL);
    d.subscribeWith().topicFilter("$iothub/methods/POST/#").qos(MqttQos.AT_LEAST_ONCE).send();

    CompletableFuture<MethodResult> call = hub.invokeMethod(device, "reboot", "{\"delay\":5}".getBytes(StandardCharsets.UTF_8), WAIT);
    Mqtt3Publish request = receive(inbox);
    String topic = request.getTopic().toString();
    assertThat(topic).matches("\\$iothub/methods/POST/reboot/\\?\\$rid=[0-9a-f]+");
    assertThat(body(request)).isEqualTo("{\"delay\":5}");
    publish(d, "$iothub/methods/res/200/?$rid=" + topic.substring(topic.indexOf("$rid=") + 5), "{\"ok\":true}");

    MethodResult result = call.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(result.status()).isEqualTo(200);
    assertThat(result.payloadAsString()).isEqualTo("{\"ok\":true}");
  }

  @Test
  void directMethodIs404AtOnceWhenTheIdentityIsNotConnectedOrNotSubscribed() throws Exception {
    String subscribedNowhere = newDevice();
    connect(subscribedNowhere, ownToken(subscribedNowhere));
    Duration longTimeout = Duration.ofMinutes(5); // 404 must not wait for it

    MethodResult notSubscribed = hub.invokeMethod(subscribedNowhere, "m", new byte[0], longTimeout).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    MethodResult notConnected = hub.invokeMethod(newDevice(), "m", new byte[0], longTimeout).get(WAIT.toSeconds(), TimeUnit.SECONDS);

    assertThat(notSubscribed.status()).isEqualTo(404);
    assertThat(notConnected.status()).isEqualTo(404);
  }

  @Test
  void directMethodIs504WhenTheDeviceDoesNotAnswerInTime() throws Exception {
    String device = newDevice();
    Mqtt3BlockingClient d = connect(device, ownToken(device));
    Mqtt3Publishes inbox = d.publishes(MqttGlobalPublishFilter.ALL);
    d.subscribeWith().topicFilter("$iothub/methods/POST/#").qos(MqttQos.AT_MOST_ONCE).send();

    CompletableFuture<MethodResult> call = hub.invokeMethod(device, "slow", new byte[0], Duration.ofMillis(300));
    receive(inbox); // the request arrives, and is never answered

    assertThat(call.get(WAIT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(504);
  }

  @Test
  void stopAndStartKeepThePortRegistrationsAndState() {
    String device = newDevice();
    Mqtt3BlockingClient d = connect(device, ownToken(device));
    publish(d, "$iothub/twin/PATCH/properties/reported/?$rid=1", "{\"before\":\"outage\"}");
    await().atMost(WAIT).until(() -> hub.twin(device).reportedVersion() == 2);
    int port = hub.tlsPort();

    hub.stop();
    await().atMost(WAIT).until(() -> d.getState() != MqttClientState.CONNECTED);
    assertThatThrownBy(() -> connect(device, ownToken(device))).isInstanceOf(ConnectionFailedException.class);
    hub.start();

    assertThat(hub.tlsPort()).isEqualTo(port);
    Mqtt3BlockingClient again = connect(device, ownToken(device));
    Mqtt3Publishes inbox = again.publishes(MqttGlobalPublishFilter.ALL);
    again.subscribeWith().topicFilter("$iothub/twin/res/#").qos(MqttQos.AT_LEAST_ONCE).send();
    publish(again, "$iothub/twin/GET/?$rid=after", "");
    assertThat(body(receive(inbox))).contains("\"before\":\"outage\"").contains("\"$version\":2");
    publish(again, "devices/" + device + "/messages/events/", "after the outage");
    assertThat(hub.awaitTelemetry(t -> t.identity().equals(device), WAIT).bodyAsString()).isEqualTo("after the outage");
  }

  // ---- helpers

  private static final Map<String, String> KEYS = new ConcurrentHashMap<>();

  /** A freshly registered device with its own key. */
  private static String newDevice() {
    return register("dev-" + IDS.incrementAndGet());
  }

  /** Registers a device or {@code d/m} module with a fresh key. */
  private static String register(String identity) {
    KEYS.put(identity, newKey());
    hub.registerDevice(identity, KEYS.get(identity));
    return identity;
  }

  private static String keyOf(String identity) {
    return KEYS.get(identity);
  }

  private static String newKey() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** A token for the identity's own resource, signed with its own key. */
  private static String ownToken(String identity) {
    return SasToken.create(resource(identity), keyOf(identity), Instant.now().plus(Duration.ofHours(1)));
  }

  private static String resource(String identity) {
    String[] parts = identity.split("/");
    return HUB + "/devices/" + parts[0] + (parts.length > 1 ? "/modules/" + parts[1] : "");
  }

  private static String userName(String clientId) {
    return HUB + "/" + clientId + "/?api-version=2021-04-12&DeviceClientType=clearway-test";
  }

  private Mqtt3BlockingClient connect(String clientId, String token) {
    Mqtt3BlockingClient client = client(clientId);
    client.connectWith().cleanSession(true).simpleAuth().username(userName(clientId))
        .password(token.getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send();
    return client;
  }

  private void assertRefused(String clientId, String user, String token, Mqtt3ConnAckReturnCode code) {
    Mqtt3BlockingClient client = client(clientId);
    assertThatThrownBy(() -> client.connectWith().simpleAuth().username(user).password(token.getBytes(StandardCharsets.UTF_8))
        .applySimpleAuth().send())
        .isInstanceOfSatisfying(Mqtt3ConnAckException.class, e -> assertThat(e.getMqttMessage().getReturnCode()).isEqualTo(code));
  }

  private Mqtt3BlockingClient client(String clientId) {
    Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier(clientId)
        .serverHost("127.0.0.1").serverPort(hub.tlsPort())
        .sslConfig().trustManagerFactory(hub.trustManagerFactory()).applySslConfig()
        .buildBlocking();
    clients.add(client);
    return client;
  }

  private static void publish(Mqtt3BlockingClient client, String topic, String body) {
    client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(body.getBytes(StandardCharsets.UTF_8)).send();
  }

  private static Mqtt3Publish receive(Mqtt3Publishes inbox) {
    try {
      Optional<Mqtt3Publish> p = inbox.receive(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return p.orElseThrow(() -> new AssertionError("nothing received within " + WAIT));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static String body(Mqtt3Publish p) {
    return new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8);
  }
}

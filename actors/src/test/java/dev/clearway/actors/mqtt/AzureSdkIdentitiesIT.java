package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import com.microsoft.azure.sdk.iot.device.exceptions.IotHubClientException;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.GatewayIT;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import dev.clearway.tls.DemoPki;
import dev.clearway.tls.Pem;
import dev.clearway.tls.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Azure IoT device SDK for Java, unmodified, authenticating every way IoT Hub offers: X.509
 * thumbprint, X.509 CA, a module's SAS key — and the refusals of wrong credentials.
 */
class AzureSdkIdentitiesIT extends GatewayIT {
  @TempDir static Path otherPki;

  private static String x509ConnectionString(String deviceId) {
    return "HostName=" + GatewayFixture.HUB + ";DeviceId=" + deviceId + ";x509=true;GatewayHostName=" + GatewayFixture.GATEWAY_HOST;
  }

  /** A device certificate from {@code pkiDir} (its chain and key) as the SDK's SSL context. */
  private SSLContext deviceTls(Path pkiDir, String fileId) throws Exception {
    return gateway.clientContext(Pem.readPrivateKey(DemoPki.deviceKey(pkiDir, fileId)),
        Pem.readCertificates(DemoPki.deviceFullChain(pkiDir, fileId)));
  }

  private static void sendOne(DeviceClient client, String body) throws Exception {
    try {
      client.open(false);
      client.sendEvent(new com.microsoft.azure.sdk.iot.device.Message(body.getBytes(StandardCharsets.UTF_8)));
    } finally {
      client.close();
    }
  }

  @Test
  void aSelfSignedDeviceAuthenticatesByThumbprint() throws Exception {
    Path certs = dataDir.resolve("self-signed");
    DemoPki.Created cert = DemoPki.createDevice(certs, "thumb-device", true, DemoPki.Options.defaults(), Clock.systemUTC());
    gateway.gateway().registry().add(new Identity("thumb-device", Optional.empty(),
        new Credentials.X509Thumbprint(cert.thumbprints().orElseThrow().sha256(), Optional.empty())));

    sendOne(new DeviceClient(x509ConnectionString("thumb-device"), IotHubClientProtocol.MQTT,
        ClientOptions.builder().sslContext(deviceTls(certs, "thumb-device")).build()), "by thumbprint");

    Message m = gateway.nextMessage(Duration.ofSeconds(10));
    assertThat(m.systemProperty(SystemProperty.CONNECTION_DEVICE_ID)).isEqualTo("thumb-device");
    assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("by thumbprint");
  }

  @Test
  void aCaSignedDeviceAuthenticatesByItsChainAndCn() throws Exception {
    // Signed by the quickstart intermediate in the gateway's data directory, which rolls up to its trust bundle.
    DemoPki.createDevice(dataDir, "ca-device", false, DemoPki.Options.defaults(), Clock.systemUTC());
    gateway.gateway().registry().add(new Identity("ca-device", Optional.empty(), new Credentials.X509Ca()));

    sendOne(new DeviceClient(x509ConnectionString("ca-device"), IotHubClientProtocol.MQTT,
        ClientOptions.builder().sslContext(deviceTls(dataDir, "ca-device")).build()), "by CA");

    assertThat(gateway.nextMessage(Duration.ofSeconds(10)).systemProperty(SystemProperty.CONNECTION_DEVICE_ID)).isEqualTo("ca-device");
  }

  @Test
  void aCertificateWhoseCnIsAnotherIdIsRefused() throws Exception {
    DemoPki.createDevice(dataDir, "someone-else", false, DemoPki.Options.defaults(), Clock.systemUTC());
    gateway.gateway().registry().add(new Identity("ca-device-2", Optional.empty(), new Credentials.X509Ca()));
    long refusedBefore = gateway.gateway().counters().get(GatewayCounters.CONNECT_FAILED, "not_authorized");

    DeviceClient client = new DeviceClient(x509ConnectionString("ca-device-2"), IotHubClientProtocol.MQTT,
        ClientOptions.builder().sslContext(deviceTls(dataDir, "someone-else")).build());

    assertThatThrownBy(() -> client.open(false)).isInstanceOf(IotHubClientException.class);
    client.close();
    // The client may see the CONNACK an instant before the gateway has counted the refusal.
    await().atMost(Duration.ofSeconds(5)).until(() -> gateway.gateway().counters().get(GatewayCounters.CONNECT_FAILED, "not_authorized") > refusedBefore);
  }

  @Test
  void aCertificateFromAnUntrustedRootIsRefused() throws Exception {
    TestPki.create(otherPki);
    DemoPki.createDevice(otherPki, "ca-device-3", false, DemoPki.Options.defaults(), Clock.systemUTC());
    gateway.gateway().registry().add(new Identity("ca-device-3", Optional.empty(), new Credentials.X509Ca()));
    long refusedBefore = gateway.gateway().counters().get(GatewayCounters.CONNECT_FAILED, "not_authorized");

    DeviceClient client = new DeviceClient(x509ConnectionString("ca-device-3"), IotHubClientProtocol.MQTT,
        ClientOptions.builder().sslContext(deviceTls(otherPki, "ca-device-3")).build());

    assertThatThrownBy(() -> client.open(false)).isInstanceOf(IotHubClientException.class);
    client.close();
    // The client may see the CONNACK an instant before the gateway has counted the refusal.
    await().atMost(Duration.ofSeconds(5)).until(() -> gateway.gateway().counters().get(GatewayCounters.CONNECT_FAILED, "not_authorized") > refusedBefore);
  }

  @Test
  void aWrongKeyIsRefused() throws Exception {
    gateway.addSas("wrong-key-device", null);
    long refusedBefore = gateway.gateway().counters().get(GatewayCounters.CONNECT_FAILED, "bad_credentials");
    String someoneElsesKey = Credentials.SymmetricKey.generate().primaryKey();

    DeviceClient client = new DeviceClient(GatewayFixture.connectionString("wrong-key-device", null, someoneElsesKey),
        IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(gateway.clientTrust()).build());

    assertThatThrownBy(() -> client.open(false)).isInstanceOf(IotHubClientException.class);
    client.close();
    // The client may see the CONNACK an instant before the gateway has counted the refusal.
    await().atMost(Duration.ofSeconds(5)).until(() -> gateway.gateway().counters().get(GatewayCounters.CONNECT_FAILED, "bad_credentials") > refusedBefore);
  }

  @Test
  void aModuleSendsOnAnOutputAndTheSourceNamesModuleAndOutput() throws Exception {
    gateway.addSas("edge-device", null);
    Credentials.SymmetricKey moduleKeys = gateway.addSas("edge-device", "filter");
    ModuleClient module = new ModuleClient(GatewayFixture.connectionString("edge-device", "filter", moduleKeys.primaryKey()),
        IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(gateway.clientTrust()).build());
    try {
      module.open(false);
      module.sendEvent(new com.microsoft.azure.sdk.iot.device.Message("filtered".getBytes(StandardCharsets.UTF_8)), "output1");
    } finally {
      module.close();
    }

    Message m = gateway.nextMessage(Duration.ofSeconds(10));
    assertThat(m.source()).isEqualTo("/messages/modules/filter/outputs/output1");
    assertThat(m.systemProperty(SystemProperty.CONNECTION_DEVICE_ID)).isEqualTo("edge-device");
    assertThat(m.systemProperty(SystemProperty.CONNECTION_MODULE_ID)).isEqualTo("filter");
    assertThat(m.systemProperty(SystemProperty.OUTPUT_NAME)).isEqualTo("output1");
  }
}

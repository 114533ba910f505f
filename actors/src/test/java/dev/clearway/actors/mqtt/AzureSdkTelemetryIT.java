package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.GatewayIT;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.routes.Endpoint;
import dev.clearway.routes.Message;
import dev.clearway.routes.SystemProperty;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The unmodified Azure IoT device SDK for Java, with GatewayHostName, sends telemetry through Clearway. */
class AzureSdkTelemetryIT extends GatewayIT {

  @Test
  void aSasDeviceSendsTelemetryWithEveryPropertyIntact() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("sas-device-1", null);
    DeviceClient client = new DeviceClient(GatewayFixture.connectionString("sas-device-1", null, keys.primaryKey()),
        IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(gateway.clientTrust()).build());
    try {
      client.open(true);
      com.microsoft.azure.sdk.iot.device.Message sent =
          new com.microsoft.azure.sdk.iot.device.Message("{\"temperature\":21.5}".getBytes(StandardCharsets.UTF_8));
      sent.setContentType("application/json");
      sent.setContentEncoding("utf-8");
      sent.setMessageId("msg-1");
      sent.setCorrelationId("corr-1");
      sent.setProperty("alert", "hot & humid");
      sent.setProperty("floor", "3");
      client.sendEvent(sent);
    } finally {
      client.close();
    }

    Message m = gateway.nextMessage(Duration.ofSeconds(10));
    assertThat(m.source()).isEqualTo("/messages");
    assertThat(new String(m.body(), StandardCharsets.UTF_8)).isEqualTo("{\"temperature\":21.5}");
    assertThat(m.systemProperty(SystemProperty.CONTENT_TYPE)).isEqualTo("application/json");
    assertThat(m.systemProperty(SystemProperty.CONTENT_ENCODING)).isEqualTo("utf-8");
    assertThat(m.systemProperty(SystemProperty.MESSAGE_ID)).isEqualTo("msg-1");
    assertThat(m.systemProperty(SystemProperty.CORRELATION_ID)).isEqualTo("corr-1");
    assertThat(m.systemProperty(SystemProperty.CONNECTION_DEVICE_ID)).isEqualTo("sas-device-1");
    assertThat(m.systemProperty(SystemProperty.CONNECTION_MODULE_ID)).isNull();
    assertThat(m.properties()).containsEntry("alert", "hot & humid").containsEntry("floor", "3");
    // sendEvent returned, so the PUBACK came: the message is already in the $upstream queue on disk.
    var queued = gateway.gateway().store().next(new Endpoint.Upstream(), 100, 1 << 20);
    assertThat(queued).extracting(s -> s.message().systemProperty(SystemProperty.MESSAGE_ID)).contains("msg-1");
    Message stored = queued.stream().filter(s -> "msg-1".equals(s.message().systemProperty(SystemProperty.MESSAGE_ID)))
        .findFirst().orElseThrow().message();
    assertThat(stored.properties()).containsEntry("alert", "hot & humid");
    assertThat(stored.systemProperty(SystemProperty.CONTENT_TYPE)).isEqualTo("application/json");
  }
}

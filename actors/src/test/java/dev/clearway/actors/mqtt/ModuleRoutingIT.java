package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.azure.sdk.iot.device.ClientOptions;
import com.microsoft.azure.sdk.iot.device.DeviceClient;
import com.microsoft.azure.sdk.iot.device.IotHubClientProtocol;
import com.microsoft.azure.sdk.iot.device.IotHubMessageResult;
import com.microsoft.azure.sdk.iot.device.ModuleClient;
import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.GatewayIT;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.routes.Endpoint;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A route to {@code BrokeredEndpoint("/modules/{m}/inputs/{i}")}: a leaf device's telemetry is
 * stored in the module input's queue and delivered to the module (the Azure SDK's ModuleClient,
 * a module of the gateway's own device); the module's acknowledgement empties the queue.
 */
class ModuleRoutingIT extends GatewayIT {
  private static final String GATEWAY_DEVICE = "edge-gateway";

  @Override
  protected String extraConfig() {
    return """
        clearway.hub.device-id = "%s"
        clearway.routes.toFilter = "FROM /messages/* WHERE NOT IS_DEFINED($connectionModuleId) INTO BrokeredEndpoint(\\"/modules/filter/inputs/input1\\")"
        clearway.module-delivery.poll-interval = 50ms
        """.formatted(GATEWAY_DEVICE);
  }

  @Test
  void aModuleReceivesOnItsInputWhatARouteSendsToItsBrokeredEndpoint() throws Exception {
    gateway.addSas(GATEWAY_DEVICE, null);
    Credentials.SymmetricKey moduleKeys = gateway.addSas(GATEWAY_DEVICE, "filter");
    Credentials.SymmetricKey deviceKeys = gateway.addSas("leaf-1", null);
    ModuleClient module = new ModuleClient(GatewayFixture.connectionString(GATEWAY_DEVICE, "filter", moduleKeys.primaryKey()),
        IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(gateway.clientTrust()).build());
    BlockingQueue<com.microsoft.azure.sdk.iot.device.Message> onInput = new LinkedBlockingQueue<>();
    module.setMessageCallback("input1", (message, context) -> {
      onInput.add(message);
      return IotHubMessageResult.COMPLETE;
    }, null);
    DeviceClient leaf = new DeviceClient(GatewayFixture.connectionString("leaf-1", null, deviceKeys.primaryKey()),
        IotHubClientProtocol.MQTT, ClientOptions.builder().sslContext(gateway.clientTrust()).build());
    try {
      module.open(false);
      leaf.open(false);
      com.microsoft.azure.sdk.iot.device.Message sent = new com.microsoft.azure.sdk.iot.device.Message("{\"t\":77}".getBytes(StandardCharsets.UTF_8));
      sent.setProperty("unit", "C");
      leaf.sendEvent(sent);

      com.microsoft.azure.sdk.iot.device.Message received = onInput.poll(15, TimeUnit.SECONDS);
      assertThat(received).as("the module's input1 callback fired").isNotNull();
      assertThat(new String(received.getBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"t\":77}");
      assertThat(received.getProperty("unit")).isEqualTo("C");
      // The module's PUBACK acknowledged it in the store: the input's queue drains.
      await().atMost(Duration.ofSeconds(10)).until(() ->
          gateway.gateway().store().next(new Endpoint.ModuleInput("filter", "input1"), 10, 1 << 20).isEmpty());

      // Delivered once: a second message is the next thing on the input, not a repeat of the first.
      leaf.sendEvent(new com.microsoft.azure.sdk.iot.device.Message("{\"t\":78}".getBytes(StandardCharsets.UTF_8)));
      com.microsoft.azure.sdk.iot.device.Message next = onInput.poll(15, TimeUnit.SECONDS);
      assertThat(next).as("the second message reached input1").isNotNull();
      assertThat(new String(next.getBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"t\":78}");
    } finally {
      leaf.close();
      module.close();
    }
  }
}

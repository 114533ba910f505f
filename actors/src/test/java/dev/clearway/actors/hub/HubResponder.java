package dev.clearway.actors.hub;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.client.ClientContext;
import com.hivemq.extension.sdk.api.client.parameter.InitializerInput;
import com.hivemq.extension.sdk.api.interceptor.puback.PubackInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.puback.parameter.PubackInboundInput;
import com.hivemq.extension.sdk.api.interceptor.puback.parameter.PubackInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishOutboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.PublishToClientResult;
import com.hivemq.extension.sdk.api.services.subscription.TopicSubscription;
import dev.clearway.actors.hub.HubStandIn.MethodResult;
import dev.clearway.actors.hub.HubStandIn.ProtocolError;
import dev.clearway.actors.hub.HubTopics.MethodResponse;
import dev.clearway.actors.hub.HubTopics.ReportedPatch;
import dev.clearway.actors.hub.HubTopics.TwinGet;
import dev.clearway.actors.hub.HubTopics.Unknown;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * The embedded HiveMQ extension that makes the broker answer like IoT Hub. Every client's
 * {@code $iothub/...} publish is taken out of normal routing (a plain broker would hand one device's
 * twin response or method call to every subscriber) and answered to that client only, with
 * {@code publishToClient}. The state lives in this object, not in the broker, so it outlives a
 * broker restart; {@link #extensionStart} runs again on every start and only registers callbacks.
 */
final class HubResponder implements ExtensionMain {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final HubAuthenticator authenticator;
  private final BiConsumer<String, byte[]> telemetry;
  private final TwinStore twins = new TwinStore();
  private final Map<String, CompletableFuture<MethodResult>> pendingMethods = new ConcurrentHashMap<>();
  private final Map<String, Set<Integer>> cloudToDeviceInFlight = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> cloudToDeviceCompleted = new ConcurrentHashMap<>();
  private final List<ProtocolError> protocolErrors = new CopyOnWriteArrayList<>();
  private volatile boolean running;

  /** {@code telemetry} gets each telemetry publish (topic, body) a device makes on its own topics, before its PUBACK. */
  HubResponder(HubAuthenticator authenticator, BiConsumer<String, byte[]> telemetry) {
    this.authenticator = authenticator;
    this.telemetry = telemetry;
  }

  TwinStore twins() {
    return twins;
  }

  List<ProtocolError> protocolErrors() {
    return List.copyOf(protocolErrors);
  }

  int cloudToDeviceCompleted(String deviceId) {
    AtomicInteger n = cloudToDeviceCompleted.get(deviceId);
    return n == null ? 0 : n.get();
  }

  @Override
  public void extensionStart(ExtensionStartInput input, ExtensionStartOutput output) {
    Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
    Services.initializerRegistry().setClientInitializer(this::initialize);
    running = true;
  }

  @Override
  public void extensionStop(ExtensionStopInput input, ExtensionStopOutput output) {
    running = false;
    cloudToDeviceInFlight.clear(); // packet ids die with the connections
  }

  boolean running() {
    return running;
  }

  private void initialize(InitializerInput input, ClientContext context) {
    context.addPublishInboundInterceptor((PublishInboundInterceptor) this::onPublishFromDevice);
    context.addPublishOutboundInterceptor((PublishOutboundInterceptor) this::onPublishToDevice);
    context.addPubackInboundInterceptor((PubackInboundInterceptor) this::onPubackFromDevice);
  }

  private void onPublishFromDevice(PublishInboundInput input, PublishInboundOutput output) {
    String clientId = input.getClientInformation().getClientId();
    PublishPacket publish = input.getPublishPacket();
    String topic = publish.getTopic();
    if (topic.startsWith(HubTopics.IOTHUB)) {
      // IoT Hub scopes $iothub topics to the connection: consumed here, never routed to other clients.
      output.preventPublishDelivery();
      answer(clientId, topic, payload(publish));
      return;
    }
    boolean ownTelemetry = HubTopics.telemetry(topic).map(t -> t.identity().equals(clientId)).orElse(false);
    if (!ownTelemetry) {
      // IoT Hub closes a connection that publishes anywhere but its own identity's topics.
      output.preventPublishDelivery();
      protocolErrors.add(new ProtocolError(clientId, "publish to " + topic + " (not this identity's telemetry)", Instant.now()));
      Services.clientService().disconnectClient(clientId);
      return;
    }
    // Recorded here, before the broker sends the PUBACK: what the device saw confirmed, the hub has,
    // even when the broker stops a moment later (a subscriber could miss it around a stop or start).
    telemetry.accept(topic, payload(publish));
  }

  private void answer(String clientId, String topic, byte[] body) {
    HubTopics.Request request = HubTopics.request(topic);
    if (request instanceof TwinGet get) {
      toClient(clientId, HubTopics.twinResponse(200, get.rid()), twins.document(clientId), Qos.AT_LEAST_ONCE);
    } else if (request instanceof ReportedPatch patch) {
      twins.patchReported(clientId, body).ifPresentOrElse(
          version -> toClient(clientId, HubTopics.twinResponse(204, patch.rid(), version), new byte[0], Qos.AT_LEAST_ONCE),
          () -> toClient(clientId, HubTopics.twinResponse(400, patch.rid()), errorBody(400002, "reported patch is not a JSON object"),
              Qos.AT_LEAST_ONCE));
    } else if (request instanceof MethodResponse response) {
      CompletableFuture<MethodResult> call = pendingMethods.get(methodKey(clientId, response.rid()));
      if (call == null) {
        protocolErrors.add(new ProtocolError(clientId, "method response for unknown or expired $rid " + response.rid(), Instant.now()));
      } else {
        call.complete(new MethodResult(response.status(), body));
      }
    } else {
      protocolErrors.add(new ProtocolError(clientId, "unsupported " + ((Unknown) request).topic(), Instant.now()));
    }
  }

  private void onPublishToDevice(PublishOutboundInput input, PublishOutboundOutput output) {
    PublishPacket publish = input.getPublishPacket();
    if (publish.getQos() != Qos.AT_MOST_ONCE && publish.getTopic().contains("/messages/devicebound/")) {
      cloudToDeviceInFlight.computeIfAbsent(input.getClientInformation().getClientId(), c -> ConcurrentHashMap.newKeySet())
          .add(publish.getPacketId());
    }
  }

  private void onPubackFromDevice(PubackInboundInput input, PubackInboundOutput output) {
    String clientId = input.getClientInformation().getClientId();
    Set<Integer> inFlight = cloudToDeviceInFlight.get(clientId);
    if (inFlight != null && inFlight.remove(input.getPubackPacket().getPacketIdentifier())) {
      // Only the PUBACK of a cloud-to-device message completes it; twin responses are acked too.
      cloudToDeviceCompleted.computeIfAbsent(clientId, c -> new AtomicInteger()).incrementAndGet();
    }
  }

  String sendCloudToDevice(String deviceId, byte[] body, Map<String, String> properties, Duration timeout) {
    String messageId = newId();
    Map<String, String> bag = new LinkedHashMap<>();
    bag.put("$.mid", messageId);
    bag.put("$.to", "/devices/" + deviceId + "/messages/devicebound");
    bag.putAll(properties);
    PublishToClientResult result = await(toClient(deviceId, HubTopics.cloudToDevice(deviceId, bag), body, Qos.AT_LEAST_ONCE), timeout);
    if (result != PublishToClientResult.SUCCESSFUL) {
      throw new IllegalStateException(deviceId + " is not subscribed to devices/" + deviceId + "/messages/devicebound/#");
    }
    return messageId;
  }

  long patchDesired(String identity, String json) {
    var patch = twins.patchDesired(identity, json);
    long version = patch.get("$version").asLong();
    if (running) {
      Services.clientService().isClientConnected(identity).thenAccept(connected -> {
        if (connected) {
          toClient(identity, HubTopics.desiredPatch(version), TwinStore.bytes(patch), Qos.AT_LEAST_ONCE);
        }
      });
    }
    return version;
  }

  CompletableFuture<MethodResult> invokeMethod(String identity, String name, byte[] payload, Duration timeout) {
    if (!running) {
      return CompletableFuture.completedFuture(notConnected());
    }
    String rid = newId();
    String key = methodKey(identity, rid);
    CompletableFuture<MethodResult> call = new CompletableFuture<>();
    pendingMethods.put(key, call);
    call.whenComplete((r, e) -> pendingMethods.remove(key));
    call.completeOnTimeout(new MethodResult(504, errorBody(504101, "Timed out waiting for the response from device.")),
        timeout.toMillis(), TimeUnit.MILLISECONDS);
    // IoT Hub sends method requests at QoS 0 and answers 404 at once to a device that cannot get them.
    Services.clientService().isClientConnected(identity)
        .thenCompose(connected -> connected
            ? toClient(identity, HubTopics.methodRequest(name, rid), payload, Qos.AT_MOST_ONCE)
            : CompletableFuture.completedFuture(PublishToClientResult.NOT_SUBSCRIBED))
        .whenComplete((result, error) -> {
          if (error != null || result != PublishToClientResult.SUCCESSFUL) {
            call.complete(notConnected());
          }
        });
    return call;
  }

  Set<String> subscriptions(String clientId, Duration timeout) {
    if (!running) {
      return Set.of();
    }
    return await(Services.subscriptionStore().getSubscriptions(clientId), timeout).stream()
        .map(TopicSubscription::getTopicFilter).collect(Collectors.toUnmodifiableSet());
  }

  private CompletableFuture<PublishToClientResult> toClient(String clientId, String topic, byte[] body, Qos qos) {
    if (!running) {
      return CompletableFuture.failedFuture(new IllegalStateException("the hub stand-in is stopped"));
    }
    return Services.publishService().publishToClient(
        Builders.publish().topic(topic).qos(qos).payload(ByteBuffer.wrap(body)).build(), clientId);
  }

  private static MethodResult notConnected() {
    return new MethodResult(404, errorBody(404103, "Timed out waiting for device to connect."));
  }

  private static byte[] errorBody(int code, String message) {
    var node = TwinStore.JSON.createObjectNode().put("errorCode", code).put("message", message);
    return TwinStore.bytes(node);
  }

  private static String methodKey(String clientId, String rid) {
    return clientId + "\n" + rid;
  }

  private static String newId() {
    byte[] id = new byte[8];
    RANDOM.nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  private static byte[] payload(PublishPacket publish) {
    return publish.getPayload().map(b -> {
      byte[] bytes = new byte[b.remaining()];
      b.duplicate().get(bytes);
      return bytes;
    }).orElse(new byte[0]);
  }

  static <T> T await(CompletableFuture<T> future, Duration timeout) {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("no answer from the broker within " + timeout, e);
    }
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}

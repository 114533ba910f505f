package dev.clearway.actors.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.tls.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Stream;
import javax.net.ssl.TrustManagerFactory;

/**
 * A stand-in for Azure IoT Hub in tests: a real MQTT broker (embedded HiveMQ Community Edition) that
 * speaks IoT Hub's MQTT <em>device</em> protocol, one connection per device identity, over TLS on
 * 127.0.0.1, plus a scripted responder.
 *
 * <ul>
 *   <li>CONNECT is checked as IoT Hub does: client id {@code {d}} or {@code {d}/{m}}, user name
 *       {@code {hub}/{clientId}/?api-version=…}, password a SAS token for the identity signed with its
 *       own key ({@link Auth#OWN_KEY}), or for its gateway's device signed with the gateway's key
 *       ({@link Auth#ON_BEHALF_OF}, how an edge hub connects its children). Tokens are verified by
 *       an implementation independent of the gateway's.
 *   <li>{@code $iothub/...} publishes are answered to the publishing connection only: twin GET and
 *       reported PATCH, method responses. {@link #patchDesired}, {@link #invokeMethod} and
 *       {@link #sendCloudToDevice} reach one identity's connection only.
 *   <li>Telemetry on an identity's own topics is kept as {@link Telemetry} records when the broker
 *       receives it, before it acknowledges it: a message the sender got a PUBACK for is recorded,
 *       however soon after the broker is stopped.
 *   <li>{@link #stop()}/{@link #start()} simulate an outage: same port, same registrations, twins
 *       and records.
 * </ul>
 *
 * <p>Clients connect to 127.0.0.1:{@link #tlsPort()}, trusting {@link #trustBundleFile()} (the
 * stand-in's own throwaway root, not the gateway's), and sign tokens for {@link #hubHost()}. For a
 * gateway under test:
 *
 * <pre>{@code
 * try (HubStandIn hub = HubStandIn.start("clearway-test-hub.azure-devices.net")) {
 *   hub.registerGateway("gw", gatewayKey);
 *   hub.registerChild("gw", "leaf-1");
 *   // clearway.upstream.trust-bundle-cert = hub.trustBundleFile(), port hub.tlsPort()
 *   hub.awaitTelemetry(t -> t.identity().equals("leaf-1"), Duration.ofSeconds(10));
 * }
 * }</pre>
 *
 * <p>Thread-safe. One instance per JVM at a time: HiveMQ's extension services are static.
 */
public final class HubStandIn implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration BROKER_CALL_TIMEOUT = Duration.ofSeconds(5);

  private final String hubHost;
  private final Path dir;
  private final Path trustBundle;
  private final TrustManagerFactory trust;
  private final int tlsPort;
  private final OptionalInt plainPort;
  private final HubAuthenticator authenticator;
  private final HubResponder responder;
  private final Path confDir;
  private final Path dataDir;
  private final Path extensionsDir;
  private EmbeddedHiveMQ broker; // guarded by this; a fresh one per start (HiveMQ keeps metrics per instance)
  private final List<Telemetry> telemetry = new ArrayList<>(); // guarded by itself
  private boolean running; // guarded by this

  /** How an accepted CONNECT authenticated. */
  public enum Auth {
    /** A token for the identity itself, signed with its own key. */
    OWN_KEY,
    /** A token for the identity's gateway device, signed with the gateway's key. */
    ON_BEHALF_OF
  }

  /** An accepted CONNECT. {@code clientId} is the identity: {@code {d}} or {@code {d}/{m}}. */
  public record Connect(String clientId, Auth auth, Instant at) {}

  /**
   * A refused CONNECT.
   *
   * @param reason the CONNACK reason, e.g. {@code not_authorized}, {@code bad_user_name_or_password}
   * @param why a human explanation, for assertion messages
   */
  public record Refusal(String clientId, String reason, String why, Instant at) {}

  /** Something a device did that IoT Hub would refuse (the stand-in drops it, and for a publish to a foreign topic closes the connection). */
  public record ProtocolError(String clientId, String what, Instant at) {}

  /**
   * A telemetry message as the hub received it.
   *
   * @param topic the topic exactly as published
   * @param properties the decoded property bag: system properties keep their {@code $.xxx} names
   *     ({@code $.mid}, {@code $.cid}, {@code $.ct}, {@code $.ce}, {@code $.cdid}, {@code $.cmid}, …),
   *     application properties are url-decoded
   */
  public record Telemetry(String deviceId, Optional<String> moduleId, String topic, Map<String, String> properties,
      byte[] body, Instant receivedAt) {
    /** {@code {d}} or {@code {d}/{m}}. */
    public String identity() {
      return moduleId.map(m -> deviceId + "/" + m).orElse(deviceId);
    }

    /** The body as UTF-8 text. */
    public String bodyAsString() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /** A twin as the hub holds it: desired and reported properties (without {@code $version}) and their versions. */
  public record Twin(JsonNode desired, long desiredVersion, JsonNode reported, long reportedVersion) {}

  /** A direct method's outcome: the device's status and payload, or 404 (not reachable) / 504 (no answer in time). */
  public record MethodResult(int status, byte[] payload) {
    /** The payload as UTF-8 text (JSON, from a device). */
    public String payloadAsString() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  /** Options before the broker starts. */
  public static final class Builder {
    private final String hubHost;
    private int tlsPort;
    private Integer plainPort;

    private Builder(String hubHost) {
      this.hubHost = hubHost;
    }

    /** The TLS port on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder tlsPort(int port) {
      this.tlsPort = port;
      return this;
    }

    /** Also listen for plain MQTT on 127.0.0.1 (0 picks a free port); off by default. */
    public Builder plainPort(int port) {
      this.plainPort = port;
      return this;
    }

    /** Creates the PKI, writes the broker's configuration and starts it; bounded by 30 s. */
    public HubStandIn start() {
      return new HubStandIn(this);
    }
  }

  /** A builder for a hub answering as {@code hubHost}, e.g. {@code clearway-test-hub.azure-devices.net}. */
  public static Builder builder(String hubHost) {
    return new Builder(hubHost);
  }

  /** A started stand-in with TLS on a free port and no plain listener. */
  public static HubStandIn start(String hubHost) {
    return builder(hubHost).start();
  }

  private HubStandIn(Builder b) {
    this.hubHost = b.hubHost;
    try {
      dir = Files.createTempDirectory("hub-standin-");
      TestPki pki = TestPki.create(dir.resolve("pki"));
      trustBundle = TestPki.write(List.of(pki.root().certificate()), dir.resolve("hub-trust-bundle.pem"));
      trust = trustManagerFactory(pki);
      tlsPort = b.tlsPort == 0 ? freePort() : b.tlsPort;
      plainPort = b.plainPort == null ? OptionalInt.empty() : OptionalInt.of(b.plainPort == 0 ? freePort() : b.plainPort);
      confDir = Files.createDirectories(dir.resolve("conf"));
      dataDir = Files.createDirectories(dir.resolve("data"));
      extensionsDir = Files.createDirectories(dir.resolve("extensions"));
      HubBrokerConfig.write(confDir, pki.tlsServer("localhost", "127.0.0.1"), tlsPort, plainPort);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    authenticator = new HubAuthenticator(hubHost);
    responder = new HubResponder(authenticator, this::onTelemetry);
    try {
      start();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  // ---- where it listens, what to trust

  /** The IoT Hub host name tokens and user names must carry. */
  public String hubHost() {
    return hubHost;
  }

  /** The MQTT/TLS port on 127.0.0.1; the same across {@link #stop()}/{@link #start()}. */
  public int tlsPort() {
    return tlsPort;
  }

  /** The plain MQTT port on 127.0.0.1, when one was asked for. */
  public OptionalInt plainPort() {
    return plainPort;
  }

  /** PEM of the root CA that issued the stand-in's server certificate (SAN 127.0.0.1 and localhost). */
  public Path trustBundleFile() {
    return trustBundle;
  }

  /** A trust manager factory trusting {@link #trustBundleFile()}, for test clients. */
  public TrustManagerFactory trustManagerFactory() {
    return trust;
  }

  // ---- registry

  /** Registers a device, or a module as {@code {deviceId}/{moduleId}}, with its base64 symmetric key. */
  public void registerDevice(String identity, String base64Key) {
    authenticator.register(identity, base64Key);
  }

  /** Registers a gateway device with its key: its children may connect with tokens for it ({@link Auth#ON_BEHALF_OF}). */
  public void registerGateway(String gatewayId, String base64Key) {
    authenticator.register(gatewayId, base64Key);
  }

  /**
   * Registers a gateway {@code gatewayId} with a new key and returns the gateway configuration
   * (HOCON) whose uplink reaches this stand-in as that gateway: its device id and key, the
   * address and the trust bundle.
   */
  public String registerGatewayConfig(String gatewayId) {
    String key = Credentials.SymmetricKey.generate().primaryKey();
    registerGateway(gatewayId, key);
    return """
        clearway.hub.device-id = "%s"
        clearway.hub.shared-access-key = "%s"
        clearway.upstream.address = "127.0.0.1:%d"
        clearway.upstream.trust-bundle-cert = "%s"
        """.formatted(gatewayId, key, tlsPort(), trustBundleFile());
  }

  /** Makes {@code childId} (a device or {@code d/m} module, with or without a key of its own) a child of {@code gatewayId}. */
  public void registerChild(String gatewayId, String childId) {
    authenticator.registerChild(gatewayId, childId);
  }

  // ---- connections

  /** Every accepted CONNECT so far, in order. */
  public List<Connect> connects() {
    return authenticator.connects();
  }

  /** Every refused CONNECT so far, in order, with the reason. */
  public List<Refusal> refusals() {
    return authenticator.refusals();
  }

  /** How many CONNECTs were refused. */
  public int refusedConnects() {
    return authenticator.refusals().size();
  }

  /** What devices did that IoT Hub would refuse: publishes to foreign topics, unknown {@code $iothub} requests, stray method responses. */
  public List<ProtocolError> protocolErrors() {
    return responder.protocolErrors();
  }

  /** The topic filters a connected identity subscribes to now (empty when stopped or unknown). */
  public Set<String> subscriptions(String identity) {
    return responder.subscriptions(identity, BROKER_CALL_TIMEOUT);
  }

  // ---- telemetry

  /** A snapshot of every telemetry message received, in arrival order. */
  public List<Telemetry> telemetry() {
    synchronized (telemetry) {
      return List.copyOf(telemetry);
    }
  }

  /** How many telemetry messages were received. */
  public int telemetryCount() {
    synchronized (telemetry) {
      return telemetry.size();
    }
  }

  /** The first received message matching {@code match}, waiting up to {@code timeout}; an AssertionError then. */
  public Telemetry awaitTelemetry(Predicate<Telemetry> match, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (telemetry) {
      while (true) {
        Optional<Telemetry> found = telemetry.stream().filter(match).findFirst();
        if (found.isPresent()) {
          return found.get();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no matching telemetry within " + timeout + "; received " + telemetry.size()
              + ": " + telemetry.stream().map(t -> t.topic()).toList());
        }
        try {
          telemetry.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }
  }

  // ---- twin

  /** The identity's twin now (a new twin is empty at versions 1/1). */
  public Twin twin(String identity) {
    return responder.twins().snapshot(identity);
  }

  /** Every reported-properties patch the identity sent that parsed as a JSON object, in order. */
  public List<JsonNode> reportedPatches(String identity) {
    return responder.twins().reportedPatches(identity);
  }

  /**
   * Applies a desired-properties merge patch ({@code json}, an object) as the IoT Hub service
   * would, and, when the identity is connected and subscribed, sends it the patch with its
   * {@code $version} on {@code $iothub/twin/PATCH/properties/desired/?$version={v}}.
   *
   * @return the new desired version
   */
  public long patchDesired(String identity, String json) {
    return responder.patchDesired(identity, json);
  }

  // ---- cloud-to-device

  /**
   * Sends a cloud-to-device message at QoS 1 on {@code devices/{d}/messages/devicebound/{bag}},
   * the bag carrying {@code $.mid}, {@code $.to} and {@code properties}.
   *
   * @return the message id ({@code $.mid})
   * @throws IllegalStateException when the device is not subscribed or the stand-in is stopped
   */
  public String sendCloudToDevice(String deviceId, byte[] body, Map<String, String> properties) {
    return responder.sendCloudToDevice(deviceId, body, properties, BROKER_CALL_TIMEOUT);
  }

  /** How many cloud-to-device messages the device completed (PUBACKed). */
  public int cloudToDeviceCompleted(String deviceId) {
    return responder.cloudToDeviceCompleted(deviceId);
  }

  // ---- direct methods

  /**
   * Invokes a direct method as IoT Hub does: {@code $iothub/methods/POST/{name}/?$rid={rid}} to
   * that identity's connection. Completes with the device's {@code $iothub/methods/res/{status}}
   * answer; 404 at once when the identity is not connected or not subscribed to
   * {@code $iothub/methods/POST/#}; 504 when no answer came within {@code timeout}.
   */
  public CompletableFuture<MethodResult> invokeMethod(String identity, String name, byte[] payload, Duration timeout) {
    return responder.invokeMethod(identity, name, payload, timeout);
  }

  // ---- outage

  /** Starts the broker again after {@link #stop()}: same port, registrations, twins and records. Bounded by 30 s. */
  public synchronized void start() {
    if (running) {
      return;
    }
    broker = EmbeddedHiveMQ.builder()
        .withConfigurationFolder(confDir)
        .withDataFolder(dataDir)
        .withExtensionsFolder(extensionsDir)
        .withEmbeddedExtension(EmbeddedExtension.builder()
            .withId("clearway-hub-standin").withName("Clearway hub stand-in").withVersion("1").withAuthor("Clearway")
            .withPriority(1000).withStartPriority(1000).withExtensionMain(responder).build())
        .withoutLoggingBootstrap() // the tests' logback-test.xml stays in charge
        .build();
    try {
      HubResponder.await(broker.start(), START_TIMEOUT);
      running = true;
    } catch (RuntimeException e) {
      running = true; // so that stop() closes what did start
      stop();
      throw e;
    }
  }

  /** Stops the broker: every connection drops and new ones are refused until {@link #start()}. Bounded by about 20 s. */
  public synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    EmbeddedHiveMQ stopping = broker;
    broker = null;
    if (stopping == null) {
      return;
    }
    // A stopped instance cannot start again (its metric registry is kept), so it is closed for good.
    HubResponder.await(CompletableFuture.runAsync(() -> {
      try {
        stopping.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }), STOP_TIMEOUT);
  }

  /** True between {@link #start()} and {@link #stop()}. */
  public synchronized boolean isRunning() {
    return running;
  }

  /** Stops everything and deletes the temporary folders. */
  @Override
  public synchronized void close() {
    try {
      stop();
    } finally {
      deleteTree(dir);
    }
  }

  private void onTelemetry(String topic, byte[] body) {
    HubTopics.telemetry(topic).ifPresent(t -> {
      synchronized (telemetry) {
        telemetry.add(new Telemetry(t.deviceId(), t.moduleId(), topic, Map.copyOf(t.properties()), body, Instant.now()));
        telemetry.notifyAll();
      }
    });
  }

  private static TrustManagerFactory trustManagerFactory(TestPki pki) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("hub-root", pki.root().certificate());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      return tmf;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temp folder is not worth failing a test for
    }
  }
}

package dev.clearway.actors.mqtt;

import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.metrics.ConnectionMeters;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.routes.Message;
import dev.clearway.streams.iothub.DeviceTopics;
import dev.clearway.streams.iothub.PropertyBag;
import dev.clearway.streams.iothub.TelemetryMessages;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.streams.router.Ingress;
import java.time.Clock;

/**
 * What a connected device's stream needs to take the device's telemetry itself: its
 * {@link ConnectionPort} turns each telemetry PUBLISH into a {@link Message}, hands it to the router
 * and sends the PUBACK once it is stored, without a trip through the {@link MqttConnection} actor
 * per message (four hand-offs between threads fewer for each: the packet to the actor, the
 * actor's read acknowledgement, the stored message's completion, and the PUBACK back). The actor
 * hands the lane to the port once the device's session is attached, and keeps everything else:
 * authentication, the session, subscriptions, twin and method traffic, protocol violations and
 * the close.
 *
 * <p>Two fields are written by the port and read by the actor's keep-alive check:
 * {@link #lastHeardNanos} and {@link #readPaused}.
 */
final class TelemetryLane {
  final Identity identity;
  final Ingress ingress;
  final Clock clock;
  final ConnectionMeters meters;
  /** Telemetry messages of this connection that may wait for the router and store at once. */
  final int maxPendingPublishes;
  /** {@link System#nanoTime} when the port last read a packet, or resumed reading after a pause. */
  volatile long lastHeardNanos = System.nanoTime();
  /** The port does not read, because messages wait for the router and store: the silence is ours, not the device's. */
  volatile boolean readPaused;

  TelemetryLane(Identity identity, Ingress ingress, Clock clock, ConnectionMeters meters, int maxPendingPublishes) {
    this.identity = identity;
    this.ingress = ingress;
    this.clock = clock;
    this.meters = meters;
    this.maxPendingPublishes = maxPendingPublishes;
  }

  /** What a device's PUBLISH is to the gateway. */
  sealed interface Classified permits TelemetryMessage, Violation, SessionTraffic {}

  /** Telemetry, as the message to route. */
  record TelemetryMessage(Message message) implements Classified {}

  /**
   * A PUBLISH that closes the connection: {@code reason} for the log; counted as
   * {@code unauthorized_topic{publish}} when {@code foreignTopic}, else as {@code protocol_error{kind}}.
   */
  record Violation(String reason, String kind, boolean foreignTopic) implements Classified {}

  /** Twin or method traffic, for the identity's session. */
  record SessionTraffic(DeviceTopics.Publish parsed) implements Classified {}

  Classified classify(MqttPacket.Publish p) {
    if (p.qos() == 2) {
      // IoT Hub does not support QoS 2 and closes the connection; so do we.
      return new Violation("QoS 2 PUBLISH on '" + p.topic() + "' (IoT Hub supports QoS 0 and 1)", "qos2", false);
    }
    DeviceTopics.Publish parsed = DeviceTopics.parsePublish(p.topic(), identity.deviceId(), identity.moduleId());
    if (parsed instanceof DeviceTopics.Foreign foreign) {
      return new Violation(foreign.reason(), GatewayCounters.TOPIC_PUBLISH, true);
    }
    if (parsed instanceof DeviceTopics.Unsupported u) {
      return new Violation(u.reason(), "unsupported_topic", false);
    }
    if (parsed instanceof DeviceTopics.Telemetry t) {
      try {
        return new TelemetryMessage(TelemetryMessages.fromDevice(identity.deviceId(), identity.moduleId(), PropertyBag.decode(t.bag()),
            p.payload().toArrayUnsafe(), p.retain(), clock.instant()));
      } catch (PropertyBag.MalformedBagException e) {
        return new Violation("telemetry on '" + p.topic() + "': " + e.getMessage(), "bad_property_bag", false);
      }
    }
    return new SessionTraffic(parsed);
  }
}

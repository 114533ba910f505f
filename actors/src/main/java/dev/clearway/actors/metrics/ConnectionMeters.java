package dev.clearway.actors.metrics;

import dev.clearway.routes.Message;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one identity's connections to the gateway (one object per identity label, shared
 * by its connections): connects and disconnects, and per message what was received, its size and
 * how long it took to store. A connection asks for it once; bumping it does no lookup, except for
 * messages a module sends on a named output.
 */
public final class ConnectionMeters {
  private final GatewayCounters owner;
  private final String id;
  private final Counter connects;
  private final Counter received;
  private final DistributionSummary size;
  private final Timer process;
  private final ConcurrentHashMap<String, Counter> receivedOnOutput = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> disconnects = new ConcurrentHashMap<>();

  ConnectionMeters(GatewayCounters owner, String id) {
    this.owner = owner;
    this.id = id;
    Tags idTag = Tags.of(GatewayCounters.ID, id);
    connects = owner.familyCounter(GatewayCounters.CONNECT_SUCCESS, idTag);
    received = receivedCounter("");
    size = owner.summary(GatewayCounters.MESSAGE_SIZE, "Size of the messages received from clients", "bytes", idTag);
    // IoT Edge labels this with the destination and priority too; here one write stores a message in
    // every queue it was routed to, so there is one duration per message, labelled with its sender.
    process = owner.timer(GatewayCounters.PROCESS_DURATION, "Time from a client's message arriving to it being stored",
        Tags.of(GatewayCounters.FROM, id));
  }

  private Counter receivedCounter(String outputLabel) {
    return owner.familyCounter(GatewayCounters.MESSAGES_RECEIVED, Tags.of(GatewayCounters.ROUTE_OUTPUT, outputLabel, GatewayCounters.ID, id));
  }

  /** A connection of this identity was accepted (CONNACK 0). */
  public void connected() {
    connects.increment();
  }

  /** A connection of this identity ended, for {@code reason} (client, keep_alive, taken_over, …). */
  public void disconnected(String reason) {
    disconnects.computeIfAbsent(reason, r -> owner.familyCounter(GatewayCounters.DISCONNECT,
        Tags.of(GatewayCounters.ID, id, GatewayCounters.REASON, r))).increment();
  }

  /** A telemetry message arrived from this identity. */
  public void received(Message message) {
    String output = GatewayCounters.routeOutput(message);
    Counter c = output.isEmpty() ? received : receivedOnOutput.computeIfAbsent(owner.routeName(output), this::receivedCounter);
    c.increment();
    size.record(message.bodyLength());
  }

  /** A received message was stored (or found no route) {@code nanos} after it arrived. */
  public void processed(long nanos) {
    process.record(nanos, TimeUnit.NANOSECONDS);
  }
}

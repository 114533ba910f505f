package dev.clearway.actors.metrics;

import dev.clearway.routes.Message;
import dev.clearway.routes.RouteSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The meters of messages sent from one identity to one destination (the hub, or a module's input):
 * {@code edgehub_messages_sent_total} by priority and {@code edgehub_message_send_duration_seconds}.
 * The sender holds it; a message from a module's named output costs one lookup, others none.
 */
public final class SendMeters {
  private final GatewayCounters owner;
  private final Tags tags;
  private final ByOutput plain;
  private final ConcurrentHashMap<String, ByOutput> onOutput = new ConcurrentHashMap<>();

  /** The meters for one {@code from_route_output}: the duration, and the sent counters by priority (made when first used). */
  private final class ByOutput {
    final Tags tags;
    final Timer duration;
    final AtomicReferenceArray<Counter> sent = new AtomicReferenceArray<>(RouteSpec.BARE_PRIORITY + 1);

    ByOutput(String outputLabel) {
      tags = SendMeters.this.tags.and(GatewayCounters.FROM_ROUTE_OUTPUT, outputLabel);
      duration = owner.timer(GatewayCounters.SEND_DURATION,
          "Time from a message being handed to its destination's connection to the destination confirming it", tags);
    }

    Counter sent(int priority) {
      Counter c = sent.get(priority);
      if (c == null) {
        // Two threads may both register: the registry hands both the same counter.
        c = owner.familyCounter(GatewayCounters.MESSAGES_SENT, tags.and(GatewayCounters.PRIORITY, Integer.toString(priority)));
        sent.set(priority, c);
      }
      return c;
    }
  }

  SendMeters(GatewayCounters owner, String from, String to, String toInput) {
    this.owner = owner;
    this.tags = Tags.of(GatewayCounters.FROM, from, GatewayCounters.TO, to, GatewayCounters.TO_ROUTE_INPUT, toInput);
    this.plain = new ByOutput("");
  }

  /**
   * {@code message}, queued at {@code priority}, was confirmed by its destination {@code nanos}
   * after it was handed to the connection.
   */
  public void sent(Message message, int priority, long nanos) {
    String output = GatewayCounters.routeOutput(message);
    ByOutput m = output.isEmpty() ? plain : onOutput.computeIfAbsent(owner.routeName(output), ByOutput::new);
    m.sent(priority).increment();
    m.duration.record(nanos, TimeUnit.NANOSECONDS);
  }
}

package dev.clearway.actors.demo;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * The body a simulated device publishes, JSON in UTF-8:
 * {@code {"run":"5f3a9c1e","seq":17,"temperature":27.4,"sentNanos":81234567890123}}.
 *
 * <p>{@code seq} counts each device's messages from 0, so every component can say which message it
 * saw; {@code run} tells this run's messages from those an earlier run left in a kept data
 * directory; {@code sentNanos} is {@link System#nanoTime()} when the device published it (devices
 * and hub share the JVM, so the hub subtracts it from its own clock for the end-to-end latency);
 * {@code temperature} is what the demo's route looks at.
 */
record Reading(String run, long seq, double temperature, long sentNanos) {

  /** The JSON bytes a device sends. */
  byte[] toJson() {
    return String.format(Locale.ROOT, "{\"run\":\"%s\",\"seq\":%d,\"temperature\":%.1f,\"sentNanos\":%d}",
        run, seq, temperature, sentNanos).getBytes(StandardCharsets.UTF_8);
  }

  /** The reading in a parsed body, if it is one (anything else is not from the demo's devices). */
  static Optional<Reading> from(JsonNode body) {
    JsonNode run = body.get("run");
    JsonNode seq = body.get("seq");
    JsonNode temperature = body.get("temperature");
    JsonNode sent = body.get("sentNanos");
    if (run == null || !run.isTextual() || seq == null || !seq.canConvertToLong() || temperature == null || !temperature.isNumber()
        || sent == null || !sent.canConvertToLong()) {
      return Optional.empty();
    }
    return Optional.of(new Reading(run.asText(), seq.asLong(), temperature.asDouble(), sent.asLong()));
  }
}

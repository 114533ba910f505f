package dev.clearway.streams.mqtt;

import java.util.Objects;

/**
 * The byte stream could not be split into packets. {@link MqttFraming} emits it as its last element.
 *
 * @param kind what went wrong
 * @param reason a short explanation with the offending detail
 */
public record MqttFramingError(Kind kind, String reason) implements MqttFramed, MqttError {

  /** The ways framing fails. */
  public enum Kind {
    /** The remaining length has a continuation bit on its fourth byte (2.2.3). */
    MALFORMED_REMAINING_LENGTH("2.2.3"),
    /** The fixed header announces a packet over {@code max-packet-size}; a Clearway limit. */
    PACKET_TOO_LARGE(""),
    /** The device closed its side in the middle of a packet. */
    TRUNCATED("");

    private final String section;

    Kind(String section) {
      this.section = section;
    }
  }

  public MqttFramingError {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
  }

  @Override
  public String section() {
    return kind.section;
  }
}

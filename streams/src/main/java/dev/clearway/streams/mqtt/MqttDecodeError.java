package dev.clearway.streams.mqtt;

import java.util.Objects;

/**
 * A packet that breaks a rule of MQTT 3.1.1, as a value.
 *
 * @param section the rule, e.g. "3.3.2-2"; see {@link MqttError#section()}
 * @param reason a short explanation with the offending detail
 */
public record MqttDecodeError(String section, String reason) implements MqttDecoded, MqttError {

  /** The rule of a CONNECT whose protocol level is not 4: answer CONNACK 1, then close (3.1.2-2). */
  public static final String UNACCEPTABLE_PROTOCOL_LEVEL = "3.1.2-2";

  public MqttDecodeError {
    Objects.requireNonNull(section, "section");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * Whether the server must answer CONNACK with return code 1 before closing, rather than just close
   * (3.1.2-2). Every other decode error closes without a CONNACK.
   */
  public boolean unacceptableProtocolLevel() {
    return UNACCEPTABLE_PROTOCOL_LEVEL.equals(section);
  }
}

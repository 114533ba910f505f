package dev.clearway.streams.mqtt;

/**
 * A protocol violation found in bytes from a device. The connection that sees one closes (4.8: a
 * protocol violation closes the network connection), logs it once and counts it.
 */
public sealed interface MqttError extends MqttInbound permits MqttDecodeError, MqttFramingError {

  /** A short human-readable reason, e.g. "wildcard '#' in a topic name". */
  String reason();

  /**
   * The MQTT 3.1.1 rule broken, e.g. "3.3.2-2" (a normative statement) or "2.2.3" (a section); empty
   * when the rule is a Clearway limit rather than the specification's.
   */
  String section();
}

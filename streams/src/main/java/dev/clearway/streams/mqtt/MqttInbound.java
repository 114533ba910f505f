package dev.clearway.streams.mqtt;

/**
 * What the inbound side of {@link MqttCodecFlow} emits for bytes from a device: a decoded
 * {@link MqttPacket}, or an {@link MqttError} (framing, decoding or session opening). An error is
 * always the last element; the stream completes after it.
 */
public sealed interface MqttInbound permits MqttDecoded, MqttError {}

package dev.clearway.streams.mqtt;

/** The result of {@link MqttCodec#decode}: a packet or a decode error, never an exception. */
public sealed interface MqttDecoded extends MqttInbound permits MqttPacket, MqttDecodeError {}

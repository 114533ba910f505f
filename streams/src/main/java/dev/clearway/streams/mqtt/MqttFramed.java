package dev.clearway.streams.mqtt;

/** What {@link MqttFraming} emits: one packet's bytes, or a framing error (its last element). */
public sealed interface MqttFramed permits MqttFrame, MqttFramingError {}

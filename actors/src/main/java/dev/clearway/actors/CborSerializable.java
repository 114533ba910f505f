package dev.clearway.actors;

/**
 * Marker for messages that may cross gateway nodes: bound to Jackson CBOR in reference.conf.
 * Every message a sharded entity receives or sends implements it; tests run with
 * {@code pekko.actor.serialize-messages = on} so a message that cannot cross fails there first.
 */
public interface CborSerializable {}

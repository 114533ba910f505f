package dev.clearway.streams.mqtt;

import java.util.Objects;
import org.apache.pekko.util.ByteString;

/**
 * The complete bytes of one control packet: fixed header, variable header and payload, exactly as
 * long as its remaining length says (2.2.3). Not yet decoded; see {@link MqttCodec#decode}.
 *
 * @param bytes the packet's bytes
 */
public record MqttFrame(ByteString bytes) implements MqttFramed {
  public MqttFrame {
    Objects.requireNonNull(bytes, "bytes");
  }
}

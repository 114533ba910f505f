package dev.clearway.streams.mqtt;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * The {@code clearway.streams.mqtt} settings; every key is documented in this module's
 * reference.conf.
 *
 * @param maxPacketSize the largest packet a device may send, fixed header included, in bytes
 */
public record MqttSettings(int maxPacketSize) {

  /** The config subtree these settings are read from. */
  public static final String PATH = "clearway.streams.mqtt";

  public MqttSettings {
    if (maxPacketSize < FrameBuffer.MIN_PACKET_SIZE || maxPacketSize > FrameBuffer.MAX_PACKET_SIZE) {
      throw new MqttSettingsException("max-packet-size", maxPacketSize + " bytes is outside "
          + FrameBuffer.MIN_PACKET_SIZE + ".." + FrameBuffer.MAX_PACKET_SIZE);
    }
  }

  /** Reads {@code clearway.streams.mqtt} from a resolved configuration that includes reference.conf. */
  public static MqttSettings create(Config root) {
    Config c = root.getConfig(PATH);
    long maxPacketSize;
    try {
      maxPacketSize = c.getBytes("max-packet-size");
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      throw new MqttSettingsException("max-packet-size", "must be a size in bytes such as 327688 or 320KiB");
    }
    if (maxPacketSize > FrameBuffer.MAX_PACKET_SIZE) {
      throw new MqttSettingsException("max-packet-size", maxPacketSize + " bytes is outside "
          + FrameBuffer.MIN_PACKET_SIZE + ".." + FrameBuffer.MAX_PACKET_SIZE);
    }
    return new MqttSettings((int) maxPacketSize);
  }

  /** A wrong {@code clearway.streams.mqtt} setting; the message is one line naming the key. */
  public static final class MqttSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MqttSettingsException(String key, String problem) {
      super(PATH + "." + key + ": " + problem);
    }
  }
}

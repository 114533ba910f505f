package dev.clearway.streams.mqtt;

import java.util.function.Function;

/**
 * The inbound half of the codec as one stage: framing ({@link MqttFraming}'s rules), decoding
 * ({@link MqttCodec#decode}) and, on the server side, the session-opening rules that are pure
 * protocol: a client's first packet is a CONNECT (3.1.0-1) and it sends CONNECT only once (3.1.0-2).
 * After the first {@link MqttError} (framing, decoding or session opening) it emits that error and
 * completes, cancelling upstream: the connection is over (4.8).
 *
 * <p>One stage rather than three: every idle connection holds its stages' logic and bookkeeping.
 */
public final class MqttDecoding extends FramedStage<MqttInbound> {
  private final boolean server;

  /**
   * @param maxPacketSize the largest packet accepted, fixed header included, in bytes
   * @param server whether the session-opening rules of a server apply (a device's connection), or
   *     not (the gateway's own connection to a server)
   */
  public MqttDecoding(int maxPacketSize, boolean server) {
    super("MqttDecoding", maxPacketSize);
    this.server = server;
  }

  @Override
  Function<MqttFramed, MqttInbound> newConverter() {
    if (!server) {
      return MqttDecoding::decode;
    }
    boolean[] connected = new boolean[1];
    return framed -> opening(decode(framed), connected);
  }

  @Override
  boolean isLast(MqttInbound element) {
    return element instanceof MqttError;
  }

  private static MqttInbound decode(MqttFramed framed) {
    return framed instanceof MqttFrame frame ? MqttCodec.decode(frame.bytes()) : (MqttFramingError) framed;
  }

  /** 3.1.0-1 and 3.1.0-2; {@code connected[0]} is this connection's state. */
  private static MqttInbound opening(MqttInbound element, boolean[] connected) {
    if (element instanceof MqttError) {
      return element;
    }
    boolean isConnect = element instanceof MqttPacket.Connect;
    if (!connected[0] && !isConnect) {
      return new MqttDecodeError("3.1.0-1", "first packet is " + MqttRules.name(((MqttPacket) element).type()) + ", not CONNECT");
    }
    if (connected[0] && isConnect) {
      return new MqttDecodeError("3.1.0-2", "second CONNECT on one connection");
    }
    connected[0] = true;
    return element;
  }
}

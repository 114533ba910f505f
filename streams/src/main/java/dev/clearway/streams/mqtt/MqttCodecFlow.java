package dev.clearway.streams.mqtt;

import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * The MQTT 3.1.1 codec of one device connection as a {@link BidiFlow}, to be joined with the
 * transport (TCP+TLS, or WebSocket frames) on one side and the connection's logic on the other:
 *
 * <pre>
 *   bytes from the device  ─▶ framing, decoding, session opening ─▶ MqttInbound
 *   bytes to the device    ◀─ encode ◀────────────────────────────── MqttPacket
 * </pre>
 *
 * The inbound side ends after its first {@link MqttError}; the connection logic closes the
 * connection, logs the error once and counts it.
 */
public final class MqttCodecFlow {

  private MqttCodecFlow() {}

  /** The codec with the given settings; each materialization serves one connection. */
  public static BidiFlow<ByteString, MqttInbound, MqttPacket, ByteString, NotUsed> create(MqttSettings settings) {
    return BidiFlow.fromFlows(inbound(settings), outbound());
  }

  /** Bytes from the device to packets or errors, ending after the first error. */
  public static Flow<ByteString, MqttInbound, NotUsed> inbound(MqttSettings settings) {
    return Flow.fromGraph(new MqttDecoding(settings.maxPacketSize(), true));
  }

  /**
   * The client side of the codec, for the gateway's own connections to the hub: the same framing
   * and decoding of what the server sends, ending after the first error; the session-opening rules
   * of a server do not apply (the client's connection logic expects a CONNACK first).
   */
  public static BidiFlow<ByteString, MqttInbound, MqttPacket, ByteString, NotUsed> client(MqttSettings settings) {
    return BidiFlow.fromFlows(clientInbound(settings), outbound());
  }

  /** Bytes from a server to packets or errors, ending after the first error. */
  public static Flow<ByteString, MqttInbound, NotUsed> clientInbound(MqttSettings settings) {
    return Flow.fromGraph(new MqttDecoding(settings.maxPacketSize(), false));
  }

  /** Packets to the device as bytes. */
  public static Flow<MqttPacket, ByteString, NotUsed> outbound() {
    return Flow.<MqttPacket>create().map(MqttCodec::encode);
  }
}

package dev.clearway.actors.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.clearway.actors.GatewayFixture;
import dev.clearway.actors.GatewayIT;
import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.metrics.GatewayCounters;
import dev.clearway.streams.mqtt.MqttCodec;
import dev.clearway.streams.mqtt.MqttPacket;
import dev.clearway.tls.OpenSsl;
import dev.clearway.tls.SasToken;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * The connection's timers and opening rules, driven byte by byte over a real TLS socket: the TLS
 * handshake timeout, refused handshakes, the CONNECT timeout, keep-alive x 1.5, and packets out of order. The gateway
 * runs with short timeouts so nothing here waits long.
 */
class ConnectionLifecycleIT extends GatewayIT {
  @Override
  protected int port() {
    return 0;
  }

  @Override
  protected String extraConfig() {
    return """
        clearway.mqtt.tls-handshake-timeout = 1s
        clearway.mqtt.connect-timeout = 1s
        """;
  }

  private SSLSocket tls() throws Exception {
    SSLSocket s = (SSLSocket) gateway.clientTrust().getSocketFactory().createSocket("127.0.0.1", gateway.port());
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  private static void write(Socket s, MqttPacket p) throws Exception {
    s.getOutputStream().write(MqttCodec.encode(p).toArray());
    s.getOutputStream().flush();
  }

  /** Reads until the gateway closes the connection; returns what it sent, or fails after the socket timeout. */
  private static byte[] readUntilClosed(Socket s) throws Exception {
    InputStream in = s.getInputStream();
    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[1024];
    try {
      int n;
      while ((n = in.read(buf)) != -1) {
        got.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the gateway did not close the connection within the socket timeout");
    } catch (java.io.IOException e) {
      // a reset also closes it
    }
    return got.toByteArray();
  }

  private MqttPacket.Connect connect(String id, Credentials.SymmetricKey keys, int keepAlive) {
    String token = SasToken.create(GatewayFixture.HUB + "/devices/" + id, keys.primaryKey(), Instant.now().plusSeconds(300));
    return new MqttPacket.Connect(true, keepAlive, id, Optional.empty(), Optional.of(GatewayFixture.HUB + "/" + id + "/?api-version=2021-04-12"),
        Optional.of(ByteString.fromString(token, StandardCharsets.UTF_8)));
  }

  @Test
  void theHandshakesCryptographyRunsOnTheHandshakeDispatchersThreadsNotTheActorsOnes() throws Exception {
    try (SSLSocket s = tls()) {
      assertThat(s.getSession().isValid()).isTrue();
      // The pool makes its threads on demand: one exists only if a handshake task was handed to it.
      assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
          .anySatisfy(name -> assertThat(name).contains("clearway.tls-handshake-dispatcher"));
    }
  }

  @Test
  void aClientThatNeverCompletesTheTlsHandshakeIsClosed() throws Exception {
    long before = gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "tls_handshake_timeout");
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
      plain.setSoTimeout(10_000);

      readUntilClosed(plain); // we never send a ClientHello
    }
    assertThat(gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "tls_handshake_timeout")).isEqualTo(before + 1);
  }

  @Test
  void plaintextMqttSentToTheTlsPortIsRefusedAndCountedAsAFailedHandshake() throws Exception {
    long before = gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "tls_handshake_failed");
    try (Socket plain = new Socket("127.0.0.1", gateway.port())) {
      plain.setSoTimeout(10_000);
      write(plain, new MqttPacket.Connect(true, 60, "plain", Optional.empty(), Optional.empty(), Optional.empty()));

      readUntilClosed(plain);
    }
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "tls_handshake_failed")).isEqualTo(before + 1));
  }

  @Test
  void aTls11ClientGetsAProtocolVersionAlertAndIsCountedAsAFailedHandshake() {
    long before = gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "tls_handshake_failed");

    OpenSsl.Result r = OpenSsl.run("s_client", "-connect", "127.0.0.1:" + gateway.port(), "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");

    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("alert protocol version");
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "tls_handshake_failed")).isEqualTo(before + 1));
  }

  @Test
  void aClientThatSendsNoConnectIsClosedAfterTheConnectTimeout() throws Exception {
    long before = gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "connect_timeout");
    try (SSLSocket s = tls()) {
      readUntilClosed(s);
    }
    assertThat(gateway.gateway().counters().get(GatewayCounters.PROTOCOL_ERROR, "connect_timeout")).isEqualTo(before + 1);
  }

  @Test
  void anythingBeforeConnectClosesTheConnection() throws Exception {
    try (SSLSocket s = tls()) {
      write(s, new MqttPacket.PingReq());

      assertThat(readUntilClosed(s)).as("nothing is answered").isEmpty();
    }
  }

  @Test
  void aSecondConnectClosesTheConnection() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("double-connect", null);
    try (SSLSocket s = tls()) {
      write(s, connect("double-connect", keys, 60));
      write(s, connect("double-connect", keys, 60));

      byte[] answer = readUntilClosed(s);
      assertThat(MqttCodec.decode(ByteString.fromArray(answer, 0, 4))).isEqualTo(new MqttPacket.ConnAck(false, 0));
      assertThat(answer).hasSize(4); // the CONNACK, then the close
    }
  }

  @Test
  void silenceLongerThanOneAndAHalfKeepAlivesClosesTheConnection() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("sleepy", null);
    long before = gateway.gateway().counters().get(GatewayCounters.DISCONNECT, "keep_alive");
    try (SSLSocket s = tls()) {
      write(s, connect("sleepy", keys, 1)); // keep-alive 1 s: closed after 1.5 s of silence

      byte[] answer = readUntilClosed(s);
      assertThat(answer).hasSize(4);
    }
    assertThat(gateway.gateway().counters().get(GatewayCounters.DISCONNECT, "keep_alive")).isEqualTo(before + 1);
  }

  @Test
  void pingsKeepAConnectionAliveBeyondItsKeepAlive() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("pinger", null);
    try (SSLSocket s = tls()) {
      write(s, connect("pinger", keys, 1));
      InputStream in = s.getInputStream();
      assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
      for (int i = 0; i < 4; i++) { // 4 x 0.5 s = 2 s, beyond 1.5 x keep-alive
        Thread.sleep(500);
        write(s, new MqttPacket.PingReq());
        assertThat(in.readNBytes(2)).as("PINGRESP %d", i).containsExactly(0xD0, 0x00);
      }
    }
  }

  @Test
  void pubacksFollowTheOrderOfThePublishesAlsoWhenTelemetryIsStillBeingStoredBehindOtherTraffic() throws Exception {
    Credentials.SymmetricKey keys = gateway.addSas("pipelined", null);
    try (SSLSocket s = tls()) {
      write(s, connect("pipelined", keys, 60));
      // 20 telemetry messages sent back to back without waiting, and a method answer (answered
      // at once by the gateway, not stored) among them.
      java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
      java.util.List<Integer> sent = new java.util.ArrayList<>();
      for (int id = 1; id <= 20; id++) {
        burst.write(MqttCodec.encode(new MqttPacket.Publish(false, 1, false, "devices/pipelined/messages/events/", id,
            ByteString.fromString("reading " + id, StandardCharsets.UTF_8))).toArray());
        sent.add(id);
        if (id == 10) {
          burst.write(MqttCodec.encode(new MqttPacket.Publish(false, 1, false, "$iothub/methods/res/200/?$rid=unknown", 100,
              ByteString.fromString("{}", StandardCharsets.UTF_8))).toArray());
          sent.add(100);
        }
      }
      s.getOutputStream().write(burst.toByteArray());
      s.getOutputStream().flush();

      InputStream in = s.getInputStream();
      assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00);
      java.util.List<Integer> acked = new java.util.ArrayList<>();
      for (int i = 0; i < sent.size(); i++) {
        var p = MqttCodec.decode(ByteString.fromArray(in.readNBytes(4)));
        assertThat(p).isInstanceOf(MqttPacket.PubAck.class);
        acked.add(((MqttPacket.PubAck) p).packetId());
      }

      assertThat(acked).as("MQTT 3.1.1 4.6: PUBACKs in the order of the PUBLISHes").containsExactlyElementsOf(sent);
    }
    assertThat(gateway.gateway().counters().get(GatewayCounters.MESSAGES_RECEIVED)).isGreaterThanOrEqualTo(20);
  }
}

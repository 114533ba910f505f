package dev.clearway.actors.hub;

import dev.clearway.tls.CertifiedKey;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.OptionalInt;

/** Writes the embedded broker's {@code config.xml} and the TLS listener's key store into a folder. */
final class HubBrokerConfig {
  private static final String STORE_PASSWORD = "hub-standin";

  private HubBrokerConfig() {}

  static void write(Path conf, CertifiedKey server, int tlsPort, OptionalInt plainPort) throws IOException {
    Path keystore = conf.resolve("hub-server.p12");
    writeKeyStore(keystore, server);
    String plain = plainPort.isEmpty() ? "" : """
            <tcp-listener>
              <port>%d</port>
              <bind-address>127.0.0.1</bind-address>
              <name>hub-plain</name>
            </tcp-listener>
        """.formatted(plainPort.getAsInt());
    // IoT Hub: TLS 1.2/1.3 only, QoS 2 not supported (max-qos 1 makes the broker refuse it too),
    // sessions need not survive a restart (in-memory), and nothing phones home.
    String xml = """
        <?xml version="1.0"?>
        <hivemq>
          <listeners>
            <tls-tcp-listener>
              <port>%d</port>
              <bind-address>127.0.0.1</bind-address>
              <name>hub-tls</name>
              <tls>
                <keystore>
                  <path>%s</path>
                  <password>%s</password>
                  <private-key-password>%s</private-key-password>
                </keystore>
                <protocols>
                  <protocol>TLSv1.3</protocol>
                  <protocol>TLSv1.2</protocol>
                </protocols>
                <client-authentication-mode>NONE</client-authentication-mode>
              </tls>
            </tls-tcp-listener>
        %s  </listeners>
          <mqtt>
            <quality-of-service>
              <max-qos>1</max-qos>
            </quality-of-service>
          </mqtt>
          <persistence>
            <mode>in-memory</mode>
          </persistence>
          <anonymous-usage-statistics>
            <enabled>false</enabled>
          </anonymous-usage-statistics>
        </hivemq>
        """.formatted(tlsPort, xmlText(keystore.toAbsolutePath().toString()), STORE_PASSWORD, STORE_PASSWORD, plain);
    Files.writeString(conf.resolve("config.xml"), xml, StandardCharsets.UTF_8);
  }

  private static void writeKeyStore(Path file, CertifiedKey server) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("hub", server.key(), STORE_PASSWORD.toCharArray(), server.chain().toArray(Certificate[]::new));
      store.store(out, STORE_PASSWORD.toCharArray());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot write the stand-in's key store", e);
    }
  }

  private static String xmlText(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}

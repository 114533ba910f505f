package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlsSettingsTest {

  private static TlsSettings read(String hocon) {
    Config c = ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve();
    return TlsSettings.fromConfig(c);
  }

  @Test
  void defaultsSelectQuickstartWithEcKeysAndTls12And13() {
    TlsSettings s = read("clearway.tls.hostname = gw1");

    assertThat(s.quickstart()).isTrue();
    assertThat(s.hostname()).isEqualTo("gw1");
    assertThat(s.serverKeyType()).isEqualTo(KeyType.EC_P256);
    assertThat(s.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
    assertThat(s.sessionResumption()).isEqualTo(new SessionResumption(false, 10_000, Duration.ofHours(1)));
    assertThat(s.serverCertValidity()).isEqualTo(Duration.ofDays(30));
    assertThat(s.renewBefore()).isEqualTo(Duration.ofDays(3));
  }

  @Test
  void anEmptyHostnameMeansThisMachinesName() {
    assertThat(read("").hostname()).isNotBlank().isLowerCase();
  }

  @Test
  void certificateLocationsAcceptFileUrisAndPlainPathsAsIotEdgeConfigDoes() {
    TlsSettings s = read("""
        clearway.tls {
          hostname = Gateway.Example.Test
          trust-bundle-cert = "file:///var/secrets/root%20ca.pem"
          edge-ca.cert = "file:///var/secrets/edge.pem"
          edge-ca.pk = "relative/edge.key.pem"
          subject-alt-names = ["10.0.0.5", "alias.local"]
        }
        """);

    assertThat(s.quickstart()).isFalse();
    assertThat(s.hostname()).isEqualTo("gateway.example.test");
    assertThat(s.trustBundle()).contains(Path.of("/var/secrets/root ca.pem"));
    assertThat(s.edgeCaCert()).contains(Path.of("/var/secrets/edge.pem"));
    assertThat(s.edgeCaKey()).contains(Path.of("relative/edge.key.pem"));
    assertThat(s.extraSubjectAltNames()).containsExactly("10.0.0.5", "alias.local");
  }

  @Test
  void aRemoteOrNonFileUriIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> read("clearway.tls { edge-ca.cert = \"https://example.test/edge.pem\", edge-ca.pk = k, trust-bundle-cert = r }"))
        .isInstanceOf(TlsSettingsException.class)
        .hasMessage("clearway.tls.edge-ca.cert: 'https://example.test/edge.pem' is not supported; use a file:/// URI or a path");
    assertThatThrownBy(() -> read("clearway.tls { trust-bundle-cert = \"file://fileserver/share/root.pem\" }"))
        .isInstanceOf(TlsSettingsException.class)
        .hasMessageStartingWith("clearway.tls.trust-bundle-cert: ")
        .hasMessageContaining("names a remote host");
  }

  @Test
  void anEdgeCaCertificateWithoutItsKeyIsRefused() {
    assertThatThrownBy(() -> read("clearway.tls { edge-ca.cert = /a.pem, trust-bundle-cert = /r.pem }"))
        .isInstanceOf(TlsSettingsException.class)
        .hasMessage("clearway.tls.edge-ca.pk: must be set together with clearway.tls.edge-ca.cert");
  }

  @Test
  void aConfiguredEdgeCaNeedsATrustBundle() {
    assertThatThrownBy(() -> read("clearway.tls { edge-ca.cert = /a.pem, edge-ca.pk = /a.key }"))
        .isInstanceOf(TlsSettingsException.class)
        .hasMessageStartingWith("clearway.tls.trust-bundle-cert: must be set when an edge CA is configured");
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    List<String[]> cases = List.of(
        new String[] {"clearway.tls.server-cert.key-type = dsa", "clearway.tls.server-cert.key-type: unknown key type 'dsa'"},
        new String[] {"clearway.tls.protocols = [TLSv1.1]", "clearway.tls.protocols: [TLSv1.1] is not allowed"},
        new String[] {"clearway.tls.session-resumption = psk", "clearway.tls.session-resumption: 'psk' is neither cache nor tickets"},
        new String[] {"clearway.tls.session-cache-size = 0", "clearway.tls.session-cache-size: 0 is outside 1 .. 1000000"},
        new String[] {"clearway.tls.session-cache-size = many", "clearway.tls.session-cache-size: must be a whole number of sessions"},
        new String[] {"clearway.tls.session-timeout = 30d", "clearway.tls.session-timeout: PT720H is outside 1s .. 7d"},
        new String[] {"clearway.tls.server-cert.renew-before = 40d", "clearway.tls.server-cert.renew-before: "},
        new String[] {"clearway.tls.server-cert.validity = soon", "clearway.tls.server-cert.validity: must be a duration"},
        new String[] {"clearway.tls.workload-ca.validity = -1d", "clearway.tls.workload-ca.validity: must be positive"},
        new String[] {"clearway.tls.hostname = \"bad host\"", "clearway.tls.hostname: 'bad host' is not a valid DNS host name"},
        new String[] {"clearway.tls.subject-alt-names = [\"a b\"]", "clearway.tls.subject-alt-names: 'a b' is neither"});
    for (String[] c : cases) {
      assertThatThrownBy(() -> read("clearway.tls.hostname = gw\n" + c[0]))
          .as(c[0])
          .isInstanceOf(TlsSettingsException.class)
          .hasMessageStartingWith(c[1]);
    }
  }
}

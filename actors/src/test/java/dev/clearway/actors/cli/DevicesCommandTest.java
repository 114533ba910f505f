package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.tls.DemoPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevicesCommandTest {
  @TempDir Path dir;
  private Path config;

  @BeforeEach
  void config() throws Exception {
    config = dir.resolve("gw.conf");
    Files.writeString(config, "clearway.tls.hostname = gw.plant.local\nclearway.hub.hostname = plant-hub.azure-devices.net\n");
  }

  private CommandRun devices(String... args) {
    String[] all = new String[args.length + 5];
    all[0] = "devices";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--config";
    all[args.length + 2] = config.toString();
    all[args.length + 3] = "--data-dir";
    all[args.length + 4] = dir.resolve("data").toString();
    return CommandRun.of(all);
  }

  @Test
  void addingASasDevicePrintsItsConnectionStringWithTheGatewayHostName() {
    CommandRun r = devices("add", "--id", "sensor-1");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern(
        "HostName=plant-hub\\.azure-devices\\.net;DeviceId=sensor-1;SharedAccessKey=[A-Za-z0-9+/=]{44};GatewayHostName=gw\\.plant\\.local");
  }

  @Test
  void aModuleConnectionStringNamesTheModuleAndTheDeviceMustExist() {
    CommandRun orphan = devices("add", "--id", "edge-1", "--module", "filter");
    devices("add", "--id", "edge-1");
    CommandRun module = devices("add", "--id", "edge-1", "--module", "filter");

    assertThat(orphan.exitCode()).isEqualTo(1);
    assertThat(orphan.err()).contains("device 'edge-1' does not exist; add it before its modules");
    assertThat(module.exitCode()).isZero();
    assertThat(module.out()).contains(";DeviceId=edge-1;ModuleId=filter;SharedAccessKey=");
  }

  @Test
  void listShowAndRemoveWorkOnTheRegistry() {
    devices("add", "--id", "a");
    devices("add", "--id", "b", "--auth", "x509-ca");

    assertThat(devices("list").out()).isEqualTo("a\tsas" + System.lineSeparator() + "b\tx509-ca" + System.lineSeparator());
    assertThat(devices("show", "a").out()).contains("auth: sas", "connection string: HostName=");
    CommandRun removed = devices("remove", "a");
    assertThat(removed.out()).contains("removed a");
    CommandRun gone = devices("show", "a");
    assertThat(gone.exitCode()).isEqualTo(1);
    assertThat(gone.err()).contains("no identity 'a'");
  }

  @Test
  void aThumbprintDeviceTakesItsThumbprintFromTheCertificate() throws Exception {
    DemoPki.Created cert = DemoPki.createDevice(dir.resolve("pki"), "cam", true, DemoPki.Options.defaults(), Clock.systemUTC());

    CommandRun r = devices("add", "--id", "cam", "--auth", "x509-thumbprint", "--cert",
        DemoPki.deviceFullChain(dir.resolve("pki"), "cam").toString());

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(devices("show", "cam").out()).contains("primary thumbprint:   " + cert.thumbprints().orElseThrow().sha256());
  }

  @Test
  void mistakesAreRefusedWithTheDocumentedExitCodes() {
    devices("add", "--id", "dup");

    CommandRun duplicate = devices("add", "--id", "dup");
    CommandRun badAuth = devices("add", "--id", "x", "--auth", "password");
    CommandRun noThumbprint = devices("add", "--id", "y", "--auth", "x509-thumbprint");
    CommandRun badId = devices("add", "--id", "has space");

    assertThat(duplicate.exitCode()).isEqualTo(1);
    assertThat(duplicate.err()).contains("device 'dup' already exists");
    assertThat(badAuth.exitCode()).isEqualTo(2);
    assertThat(badAuth.err()).contains("unknown auth 'password'");
    assertThat(noThumbprint.exitCode()).isEqualTo(2);
    assertThat(noThumbprint.err()).contains("x509-thumbprint needs --primary-thumbprint or --cert");
    assertThat(badId.exitCode()).isEqualTo(1);
    assertThat(badId.err()).contains("invalid device id 'has space'");
  }
}

package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsCommandTest {
  @TempDir Path dir;

  private String d() {
    return dir.toString();
  }

  @Test
  void theSeedWorkflowCreatesRootEdgeAndDeviceCertificatesThatPassTheChecks() {
    assertThat(CommandRun.of("certs", "create-root-ca", "--dir", d()).exitCode()).isZero();
    assertThat(CommandRun.of("certs", "create-edge-ca", "--dir", d(), "--name", "plant-ca").exitCode()).isZero();
    CommandRun device = CommandRun.of("certs", "create-device", "--dir", d(), "--id", "sensor-1");

    CommandRun check = CommandRun.of("certs", "check",
        "--cert", dir.resolve("certs/iot-edge-device-ca-plant-ca-full-chain.cert.pem").toString(),
        "--key", dir.resolve("private/iot-edge-device-ca-plant-ca.key.pem").toString(),
        "--trust-bundle", dir.resolve("certs/azure-iot-test-only.root.ca.cert.pem").toString(),
        "--edge-ca", "--hostname", "gateway.plant.local");

    assertThat(device.out()).contains("wrote " + dir.resolve("certs/iot-device-sensor-1-full-chain.cert.pem"));
    assertThat(check.exitCode()).as(check.out()).isZero();
    assertThat(check.out()).endsWith(": 0 error(s), 0 warning(s)" + System.lineSeparator());
  }

  @Test
  void aSelfSignedDevicePrintsBothThumbprints() {
    CommandRun r = CommandRun.of("certs", "create-device", "--dir", d(), "--id", "thumb", "--self-signed");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).containsPattern("SHA-256 thumbprint: [0-9A-F]{64}").containsPattern("SHA-1 thumbprint: +[0-9A-F]{40}");
  }

  @Test
  void anExistingFileIsRefusedWithExitCode1AndKeptUnlessForced() throws Exception {
    CommandRun.of("certs", "create-device", "--dir", d(), "--id", "dup", "--self-signed");
    Path cert = dir.resolve("certs/iot-device-dup-full-chain.cert.pem");
    String before = Files.readString(cert);

    CommandRun again = CommandRun.of("certs", "create-device", "--dir", d(), "--id", "dup", "--self-signed");
    String kept = Files.readString(cert);
    CommandRun forced = CommandRun.of("certs", "create-device", "--dir", d(), "--id", "dup", "--self-signed", "--force");

    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.err()).contains("already exists; use --force");
    assertThat(kept).isEqualTo(before);
    assertThat(forced.exitCode()).isZero();
    assertThat(Files.readString(cert)).isNotEqualTo(before);
  }

  @Test
  void anEdgeCaBeforeAnyRootCaIsRefusedWithTheCommandToRunFirst() {
    CommandRun r = CommandRun.of("certs", "create-edge-ca", "--dir", d(), "--name", "x");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.err()).contains("run 'clearway certs create-root-ca --dir " + d() + "' first");
  }

  @Test
  void aFailedCheckExitsWith1AndPrintsOneLinePerFinding() throws Exception {
    CommandRun.of("certs", "create-root-ca", "--dir", d());
    CommandRun.of("certs", "create-device", "--dir", d(), "--id", "leaf");
    Path key = dir.resolve("private/iot-device-leaf.key.pem");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-rw-"));

    // A device certificate is not a CA: checking it as an edge CA must fail.
    CommandRun r = CommandRun.of("certs", "check", "--cert", dir.resolve("certs/iot-device-leaf-full-chain.cert.pem").toString(),
        "--key", key.toString(), "--edge-ca");

    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out().lines().filter(l -> l.contains(" error [") || l.contains(" warning ["))).hasSize(3);
    assertThat(r.out()).contains("error [edge-ca-basic-constraints]", "error [edge-ca-key-usage]", "warning [key-permissions]");
  }

  @Test
  void optionsChooseKeyTypeValidityAndSubject() throws Exception {
    CommandRun r = CommandRun.of("certs", "create-root-ca", "--dir", d(), "--key-type", "RSA-4096", "--days", "7",
        "--subject", "O=Contoso");

    assertThat(r.exitCode()).as(r.err()).isZero();
    var root = dev.clearway.tls.Pem.readCertificates(dir.resolve("certs/azure-iot-test-only.root.ca.cert.pem")).get(0);
    assertThat(root.getPublicKey().getAlgorithm()).isEqualTo("RSA");
    assertThat(((java.security.interfaces.RSAPublicKey) root.getPublicKey()).getModulus().bitLength()).isEqualTo(4096);
    assertThat(root.getSubjectX500Principal().getName()).contains("O=Contoso");
  }

  @Test
  void badOptionsAreUsageErrorsWithExitCode2() {
    CommandRun keyType = CommandRun.of("certs", "create-root-ca", "--dir", d(), "--key-type", "dsa");
    CommandRun days = CommandRun.of("certs", "create-root-ca", "--dir", d(), "--days", "0");
    CommandRun missing = CommandRun.of("certs", "create-device", "--dir", d());

    assertThat(keyType.exitCode()).isEqualTo(2);
    assertThat(keyType.err()).contains("unknown key type 'dsa'");
    assertThat(days.exitCode()).isEqualTo(2);
    assertThat(days.err()).contains("--days must be at least 1");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("Missing required option: '--id=ID'");
    assertThat(dir.resolve("certs")).doesNotExist();
  }
}

package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped artifact, actors/target/clearway.jar, run as a user runs it: a separate JVM. */
class ClearwayJarIT {
  @TempDir Path dir;

  private ClearwayJar.Result clearway(String... args) throws IOException, InterruptedException {
    return ClearwayJar.run(dir, args);
  }

  @Test
  void theJarRunsTheCertificateWorkflowAndReportsExitCodes() throws Exception {
    assertThat(ClearwayJar.JAR).as("built by 'mvn package'").exists();
    String d = dir.toString();

    ClearwayJar.Result root = clearway("certs", "create-root-ca", "--dir", d);
    ClearwayJar.Result edge = clearway("certs", "create-edge-ca", "--dir", d, "--name", "edge1");
    ClearwayJar.Result refused = clearway("certs", "create-edge-ca", "--dir", d, "--name", "edge1");
    ClearwayJar.Result check = clearway("certs", "check", "--cert", dir.resolve("certs/iot-edge-device-ca-edge1-full-chain.cert.pem").toString(),
        "--trust-bundle", dir.resolve("certs/azure-iot-test-only.root.ca.cert.pem").toString(), "--edge-ca");
    ClearwayJar.Result usage = clearway("certs", "check");

    assertThat(root.code()).as(root.err()).isZero();
    assertThat(edge.code()).as(edge.err()).isZero();
    assertThat(refused.code()).isEqualTo(1);
    assertThat(check.code()).as(check.out()).isZero();
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).contains("Missing required option: '--cert=FILE'");
  }

  @Test
  void theJarKnowsItsVersion() throws Exception {
    ClearwayJar.Result v = clearway("--version");

    assertThat(v.code()).isZero();
    assertThat(v.out().trim()).matches("clearway \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }
}

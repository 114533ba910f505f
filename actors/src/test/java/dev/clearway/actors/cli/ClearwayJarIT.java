package dev.clearway.actors.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped artifact, actors/target/clearway.jar, run as a user runs it: a separate JVM. */
class ClearwayJarIT {
  private static final Path JAR = Path.of("target/clearway.jar");
  @TempDir Path dir;

  record Run(int exitCode, String out) {}

  private static Run clearway(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("clearway finished").isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  void theJarRunsTheCertificateWorkflowAndReportsExitCodes() throws Exception {
    assertThat(JAR).as("built by 'mvn package'").exists();
    String d = dir.toString();

    Run root = clearway("certs", "create-root-ca", "--dir", d);
    Run edge = clearway("certs", "create-edge-ca", "--dir", d, "--name", "edge1");
    Run refused = clearway("certs", "create-edge-ca", "--dir", d, "--name", "edge1");
    Run check = clearway("certs", "check", "--cert", dir.resolve("certs/iot-edge-device-ca-edge1-full-chain.cert.pem").toString(),
        "--trust-bundle", dir.resolve("certs/azure-iot-test-only.root.ca.cert.pem").toString(), "--edge-ca");
    Run usage = clearway("certs", "check");

    assertThat(root.exitCode()).as(root.out()).isZero();
    assertThat(edge.exitCode()).as(edge.out()).isZero();
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(check.exitCode()).as(check.out()).isZero();
    assertThat(usage.exitCode()).isEqualTo(2);
    assertThat(usage.out()).contains("Missing required option: '--cert=FILE'");
  }

  @Test
  void theJarKnowsItsVersion() throws Exception {
    Run v = clearway("--version");

    assertThat(v.exitCode()).isZero();
    assertThat(v.out().trim()).matches("clearway \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }
}

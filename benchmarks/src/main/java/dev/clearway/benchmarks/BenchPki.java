package dev.clearway.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Mosquitto brokers' TLS identity, made with the {@code openssl} command line: a throwaway CA
 * and a server certificate it signs, ECDSA P-256 (as the gateway's own server certificate), with
 * {@code DNS:localhost} and {@code IP:127.0.0.1} as subject alternative names, so both the gateway's
 * uplink (Java, HTTPS-style host check) and Mosquitto's bridge (OpenSSL) verify the host they dial.
 */
final class BenchPki {
  private BenchPki() {}

  /** Creates {@code ca.pem}, {@code server.pem} and {@code server.key} in {@code dir}. */
  static Mosquitto.ServerTls create(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("server.ext"), String.join("\n",
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = serverAuth",
        "subjectAltName = DNS:localhost, IP:127.0.0.1",
        ""));
    openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
    openssl(dir, "req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "7", "-subj", "/CN=Clearway benchmark CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem");
    openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "server.key");
    openssl(dir, "req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr");
    openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "7", "-sha256", "-extfile", "server.ext", "-out", "server.pem");
    return new Mosquitto.ServerTls(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"));
  }

  private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Path log = dir.resolve("openssl.log");
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + Files.readString(log));
    }
  }
}

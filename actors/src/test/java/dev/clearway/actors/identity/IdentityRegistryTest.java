package dev.clearway.actors.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.clearway.tls.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityRegistryTest {
  @TempDir Path data;

  private static Identity sas(String device, String module) {
    return new Identity(device, Optional.ofNullable(module), Credentials.SymmetricKey.generate());
  }

  @Test
  void identitiesAreStoredUnderTheDataDirectoryReadableOnlyByTheGateway() throws Exception {
    IdentityRegistry r = IdentityRegistry.open(data, Duration.ofSeconds(1), Clock.systemUTC());
    Identity d1 = r.add(sas("d1", null));
    r.add(sas("d1", "m1"));
    r.add(new Identity("cam", Optional.empty(), new Credentials.X509Thumbprint("AB".repeat(32), Optional.of("cd".repeat(20)))));
    r.add(new Identity("plc", Optional.empty(), new Credentials.X509Ca()));

    IdentityRegistry reopened = IdentityRegistry.open(data, Duration.ofSeconds(1), Clock.systemUTC());

    assertThat(reopened.list()).extracting(Identity::id).containsExactly("cam", "d1", "d1/m1", "plc");
    assertThat(reopened.find("d1")).contains(d1);
    assertThat(reopened.find("cam").orElseThrow().credentials())
        .isEqualTo(new Credentials.X509Thumbprint("AB".repeat(32), Optional.of("CD".repeat(20))));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("identities.json")))).isEqualTo("rw-------");
  }

  @Test
  void changesMadeByAnotherProcessTakeEffectWithoutARestart() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    IdentityRegistry gateway = IdentityRegistry.open(data, Duration.ofSeconds(2), clock);
    assertThat(gateway.find("late")).isEmpty();

    IdentityRegistry.open(data, Duration.ofSeconds(2), Clock.systemUTC()).add(sas("late", null)); // e.g. `clearway devices add`
    Files.setLastModifiedTime(data.resolve("identities.json"), FileTime.from(Instant.now().plusSeconds(5)));
    clock.advance(Duration.ofSeconds(3));

    assertThat(gateway.find("late")).isPresent();
  }

  @Test
  void aBrokenFileIsIgnoredAndThePreviousIdentitiesKeepWorking() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    IdentityRegistry gateway = IdentityRegistry.open(data, Duration.ofSeconds(1), clock);
    gateway.add(sas("d1", null));

    Files.writeString(data.resolve("identities.json"), "{\"identities\": [ {\"deviceId\": ");
    clock.advance(Duration.ofSeconds(2));

    assertThat(gateway.find("d1")).isPresent();
  }

  @Test
  void aBrokenFileAtStartIsAClearError() throws Exception {
    Files.writeString(data.resolve("identities.json"), "{\"identities\": [ {\"deviceId\": \"d1\", \"auth\": \"password\"} ]}");

    assertThatThrownBy(() -> IdentityRegistry.open(data, Duration.ofSeconds(1), Clock.systemUTC()))
        .isInstanceOf(IdentityRegistry.RegistryException.class)
        .hasMessage(data.resolve("identities.json") + ": identity #1: unknown auth 'password' (expected sas, x509-thumbprint or x509-ca)");
  }

  @Test
  void aModuleNeedsItsDeviceAndNoIdIsAddedTwice() throws Exception {
    IdentityRegistry r = IdentityRegistry.open(data, Duration.ofSeconds(1), Clock.systemUTC());

    assertThatThrownBy(() -> r.add(sas("ghost", "m1"))).hasMessage("device 'ghost' does not exist; add it before its modules");
    r.add(sas("d1", null));
    assertThatThrownBy(() -> r.add(sas("d1", null))).hasMessage("device 'd1' already exists");
  }

  @Test
  void removingADeviceRemovesItsModules() throws Exception {
    IdentityRegistry r = IdentityRegistry.open(data, Duration.ofSeconds(1), Clock.systemUTC());
    r.add(sas("d1", null));
    r.add(sas("d1", "m1"));
    r.add(sas("d10", null));

    assertThat(r.remove("d1")).containsExactlyInAnyOrder("d1", "d1/m1");
    assertThat(r.list()).extracting(Identity::id).containsExactly("d10");
    assertThatThrownBy(() -> r.remove("d1")).hasMessageStartingWith("no identity 'd1'");
  }

  @Test
  void badIdsKeysAndThumbprintsAreRefused() {
    assertThatThrownBy(() -> sas("has/slash", null)).hasMessageStartingWith("invalid device id 'has/slash'");
    assertThatThrownBy(() -> new Credentials.SymmetricKey("short", "short")).hasMessageContaining("primary key");
    assertThatThrownBy(() -> new Credentials.X509Thumbprint("xyz", Optional.empty())).hasMessageContaining("40 (SHA-1) or 64 (SHA-256) hex");
    assertThatThrownBy(() -> new Identity("d", Optional.of("m"), new Credentials.X509Ca())).hasMessage("modules authenticate with symmetric keys only");
  }

  @Test
  void keysNeverAppearInToString() {
    Credentials.SymmetricKey k = Credentials.SymmetricKey.generate();
    assertThat(new Identity("d1", Optional.empty(), k).toString()).doesNotContain(k.primaryKey()).doesNotContain(k.secondaryKey());
  }
}

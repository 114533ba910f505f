package dev.clearway.actors.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.clearway.actors.identity.Authenticator.Authenticated;
import dev.clearway.actors.identity.Authenticator.Outcome;
import dev.clearway.actors.identity.Authenticator.Refusal;
import dev.clearway.actors.identity.Authenticator.Refused;
import dev.clearway.tls.CertifiedKey;
import dev.clearway.tls.SasToken;
import dev.clearway.tls.TestPki;
import dev.clearway.tls.Thumbprints;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticatorTest {
  private static final String HUB = "myhub.azure-devices.net";
  private static final String GATEWAY = "gateway.plant.local";
  private static final Instant LATER = Instant.now().plus(Duration.ofHours(1));

  @TempDir Path dir;
  private IdentityRegistry registry;
  private Authenticator auth;
  private Credentials.SymmetricKey deviceKeys;
  private Credentials.SymmetricKey moduleKeys;
  private TestPki pki;

  @BeforeEach
  void registry() throws Exception {
    pki = TestPki.create(dir.resolve("pki"));
    registry = IdentityRegistry.open(dir.resolve("data"), Duration.ofSeconds(1), Clock.systemUTC());
    deviceKeys = Credentials.SymmetricKey.generate();
    moduleKeys = Credentials.SymmetricKey.generate();
    registry.add(new Identity("d1", Optional.empty(), deviceKeys));
    registry.add(new Identity("d1", Optional.of("m1"), moduleKeys));
    auth = new Authenticator(registry, Set.of(HUB, GATEWAY), () -> List.of(pki.root().certificate()), Clock.systemUTC());
  }

  private Outcome sas(String claimed, String resource, String key, Instant expiry) {
    return auth.authenticate(claimed, Optional.of(SasToken.create(resource, key, expiry)), List.of());
  }

  private static void refused(Outcome o, Refusal refusal, String detail) {
    assertThat(o).isInstanceOfSatisfying(Refused.class, r -> {
      assertThat(r.refusal()).isEqualTo(refusal);
      assertThat(r.detail()).contains(detail);
    });
  }

  @Test
  void aDeviceTokenSignedForTheHubWithThePrimaryOrSecondaryKeyIsAccepted() {
    assertThat(sas("d1", HUB + "/devices/d1", deviceKeys.primaryKey(), LATER)).isInstanceOf(Authenticated.class);
    assertThat(sas("d1", HUB + "/devices/d1", deviceKeys.secondaryKey(), LATER)).isInstanceOf(Authenticated.class);
  }

  @Test
  void aTokenForTheGatewaysOwnHostNameIsAcceptedIgnoringCase() {
    assertThat(sas("d1", GATEWAY.toUpperCase() + "/devices/d1", deviceKeys.primaryKey(), LATER)).isInstanceOf(Authenticated.class);
  }

  @Test
  void aTokenForAnotherHostIsNotAuthorized() {
    refused(sas("d1", "otherhub.azure-devices.net/devices/d1", deviceKeys.primaryKey(), LATER), Refusal.NOT_AUTHORIZED,
        "token for host 'otherhub.azure-devices.net'");
  }

  @Test
  void aWrongKeyIsBadCredentials() {
    refused(sas("d1", HUB + "/devices/d1", moduleKeys.primaryKey(), LATER), Refusal.BAD_CREDENTIALS, "signed with neither of its keys");
  }

  @Test
  void anExpiredTokenIsBadCredentials() {
    refused(sas("d1", HUB + "/devices/d1", deviceKeys.primaryKey(), Instant.now().minusSeconds(5)), Refusal.BAD_CREDENTIALS, "expired at");
  }

  @Test
  void aDeviceTokenCoversItsModulesButAModuleTokenCoversOnlyItsModule() {
    assertThat(sas("d1/m1", HUB + "/devices/d1", deviceKeys.primaryKey(), LATER)).isInstanceOf(Authenticated.class);
    assertThat(sas("d1/m1", HUB + "/devices/d1/modules/m1", moduleKeys.primaryKey(), LATER)).isInstanceOf(Authenticated.class);
    refused(sas("d1", HUB + "/devices/d1/modules/m1", moduleKeys.primaryKey(), LATER), Refusal.NOT_AUTHORIZED, "token for another identity");
  }

  @Test
  void impersonatingAnotherDeviceWithOnesOwnValidTokenIsNotAuthorized() throws Exception {
    registry.add(new Identity("d2", Optional.empty(), Credentials.SymmetricKey.generate()));

    refused(sas("d2", HUB + "/devices/d1", deviceKeys.primaryKey(), LATER), Refusal.NOT_AUTHORIZED, "token for another identity");
  }

  @Test
  void anIdentityOutsideTheGatewaysScopeIsNotAuthorized() {
    refused(sas("stranger", HUB + "/devices/stranger", deviceKeys.primaryKey(), LATER), Refusal.NOT_AUTHORIZED,
        "'stranger' is not an identity in this gateway's scope");
  }

  @Test
  void malformedAndPolicyTokensAreRefusedWithoutEchoingSecrets() {
    Outcome malformed = auth.authenticate("d1", Optional.of("SharedAccessSignature sig=SECRETSIG&se=1"), List.of());
    refused(malformed, Refusal.BAD_CREDENTIALS, "malformed SAS token: token has no 'sr' field");
    assertThat(((Refused) malformed).detail()).doesNotContain("SECRETSIG");

    String policy = SasToken.create(HUB + "/devices/d1", deviceKeys.primaryKey(), LATER) + "&skn=device";
    refused(auth.authenticate("d1", Optional.of(policy), List.of()), Refusal.NOT_AUTHORIZED, "policy token");
  }

  @Test
  void aSelfSignedCertificateIsAcceptedByItsSha256OrSha1Thumbprint() throws Exception {
    CertifiedKey cert = selfSigned("cam");
    Thumbprints t = Thumbprints.of(cert.certificate());
    registry.add(new Identity("cam", Optional.empty(), new Credentials.X509Thumbprint(t.sha256(), Optional.empty())));
    registry.add(new Identity("cam2", Optional.empty(), new Credentials.X509Thumbprint("00".repeat(32), Optional.of(t.sha1()))));

    assertThat(auth.authenticate("cam", Optional.empty(), cert.chain())).isInstanceOf(Authenticated.class);
    assertThat(auth.authenticate("cam2", Optional.empty(), cert.chain())).isInstanceOf(Authenticated.class);
    refused(auth.authenticate("cam", Optional.empty(), selfSigned("cam").chain()), Refusal.NOT_AUTHORIZED, "thumbprint");
  }

  @Test
  void aCaSignedCertificateNeedsTheTrustedRootAndCnEqualToTheDeviceId() throws Exception {
    registry.add(new Identity("plc-1", Optional.empty(), new Credentials.X509Ca()));
    TestPki other = TestPki.create(dir.resolve("other"));

    assertThat(auth.authenticate("plc-1", Optional.empty(), pki.device("plc-1").chain())).isInstanceOf(Authenticated.class);
    refused(auth.authenticate("plc-1", Optional.empty(), pki.device("plc-2").chain()), Refusal.NOT_AUTHORIZED, "CN 'plc-2'");
    refused(auth.authenticate("plc-1", Optional.empty(), other.device("plc-1").chain()), Refusal.NOT_AUTHORIZED,
        "does not verify against the trust bundle");
  }

  @Test
  void aSasDeviceWithoutATokenAndAnX509DeviceWithATokenAreRefused() throws Exception {
    registry.add(new Identity("plc-1", Optional.empty(), new Credentials.X509Ca()));

    refused(auth.authenticate("d1", Optional.empty(), pki.device("d1").chain()), Refusal.BAD_CREDENTIALS, "sent no SAS token");
    refused(auth.authenticate("d1", Optional.empty(), List.of()), Refusal.BAD_CREDENTIALS, "neither a SAS token nor a client certificate");
    refused(sas("plc-1", HUB + "/devices/plc-1", deviceKeys.primaryKey(), LATER), Refusal.NOT_AUTHORIZED, "not registered for SAS");
  }

  private int selfSignedCount;

  private CertifiedKey selfSigned(String cn) throws Exception {
    Path d = dir.resolve("self-" + (++selfSignedCount));
    dev.clearway.tls.DemoPki.Created c = dev.clearway.tls.DemoPki.createDevice(d, cn, true, dev.clearway.tls.DemoPki.Options.defaults(), Clock.systemUTC());
    List<X509Certificate> chain = dev.clearway.tls.Pem.readCertificates(dev.clearway.tls.DemoPki.deviceFullChain(d, cn));
    return new CertifiedKey(chain, dev.clearway.tls.Pem.readPrivateKey(dev.clearway.tls.DemoPki.deviceKey(d, cn)));
  }
}

package dev.clearway.actors.identity;

import dev.clearway.tls.CertificateCheck;
import dev.clearway.tls.ClientCertificates;
import dev.clearway.tls.SasToken;
import dev.clearway.tls.Thumbprints;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Decides whether a connecting client is the identity it claims, against the registry: SAS tokens
 * (for devices and modules), X.509 thumbprints (self-signed devices) and X.509 CA chains. It is
 * protocol-neutral; MQTT and AMQP map its outcome to their own refusal codes.
 *
 * <p>Refusal details never contain a secret: no key, no signature, no token text.
 */
public final class Authenticator {

  /** Why a client was refused, in the two classes the protocols distinguish. */
  public enum Refusal {
    /** The credentials are malformed, expired or do not verify (MQTT CONNACK 4). */
    BAD_CREDENTIALS,
    /** The client is not one this gateway serves, or not with these credentials (MQTT CONNACK 5). */
    NOT_AUTHORIZED
  }

  /** The result of an authentication. */
  public sealed interface Outcome permits Authenticated, Refused {}

  /** The client is {@code identity}. */
  public record Authenticated(Identity identity) implements Outcome {}

  /** The client is refused; {@code detail} is one loggable line. */
  public record Refused(Refusal refusal, String detail) implements Outcome {}

  private final IdentityRegistry registry;
  private final Set<String> acceptedHosts;
  private final Supplier<List<X509Certificate>> trustBundle;
  private final Clock clock;

  /**
   * @param acceptedHosts the host names a token's resource may name: the IoT Hub's (SDKs sign for
   *     the hub even when they connect through a gateway) and the gateway's own
   * @param trustBundle the roots X.509 CA devices must chain to
   */
  public Authenticator(IdentityRegistry registry, Set<String> acceptedHosts, Supplier<List<X509Certificate>> trustBundle, Clock clock) {
    this.registry = registry;
    this.acceptedHosts = acceptedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    this.trustBundle = trustBundle;
    this.clock = clock;
  }

  /**
   * Authenticates a client that claims {@code claimedId} ({@code device} or {@code device/module}).
   *
   * @param sasToken the SAS token (MQTT password, AMQP CBS token), if any
   * @param clientChain the certificate chain presented in the TLS handshake (leaf first), may be empty
   */
  public Outcome authenticate(String claimedId, Optional<String> sasToken, List<X509Certificate> clientChain) {
    Optional<Identity> found = registry.find(claimedId);
    if (found.isEmpty()) {
      return refuse(Refusal.NOT_AUTHORIZED, "'" + claimedId + "' is not an identity in this gateway's scope");
    }
    Identity identity = found.get();
    if (sasToken.isPresent()) {
      return bySas(identity, sasToken.get());
    }
    if (clientChain.isEmpty()) {
      return refuse(Refusal.BAD_CREDENTIALS, "'" + claimedId + "' gave neither a SAS token nor a client certificate");
    }
    return byCertificate(identity, clientChain);
  }

  private Outcome bySas(Identity identity, String text) {
    SasToken token;
    try {
      token = SasToken.parse(text);
    } catch (SasToken.MalformedTokenException e) {
      return refuse(Refusal.BAD_CREDENTIALS, "'" + identity.id() + "' sent a malformed SAS token: " + e.getMessage());
    }
    if (token.keyName().isPresent()) {
      return refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "' sent a policy token (skn=" + token.keyName().get()
          + "); devices and modules must sign with their own key");
    }
    // Resource: {host}/devices/{deviceId}[/modules/{moduleId}]
    String[] parts = token.resource().split("/", -1);
    boolean deviceScope = parts.length == 3 && parts[1].equalsIgnoreCase("devices");
    boolean moduleScope = parts.length == 5 && parts[1].equalsIgnoreCase("devices") && parts[3].equalsIgnoreCase("modules");
    if (!deviceScope && !moduleScope) {
      return refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "' sent a token for '" + token.resource()
          + "', not for host/devices/{id}[/modules/{id}]");
    }
    if (!acceptedHosts.contains(parts[0].toLowerCase(Locale.ROOT))) {
      return refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "' sent a token for host '" + parts[0]
          + "', neither the hub's nor this gateway's");
    }
    String tokenDevice = parts[2];
    Optional<String> tokenModule = moduleScope ? Optional.of(parts[4]) : Optional.empty();
    // A device-scoped token also covers the device's modules; a module token covers only its module.
    boolean covers = tokenDevice.equals(identity.deviceId())
        && (tokenModule.isEmpty() || tokenModule.equals(identity.moduleId()));
    if (!covers) {
      return refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "' sent a token for another identity ('" + token.resource() + "')");
    }
    String signerId = tokenModule.map(m -> tokenDevice + "/" + m).orElse(tokenDevice);
    Optional<Identity> signer = signerId.equals(identity.id()) ? Optional.of(identity) : registry.find(signerId);
    if (signer.isEmpty() || !(signer.get().credentials() instanceof Credentials.SymmetricKey keys)) {
      return refuse(Refusal.NOT_AUTHORIZED, "'" + signerId + "' is not registered for SAS authentication");
    }
    if (token.isExpired(clock.instant())) {
      return refuse(Refusal.BAD_CREDENTIALS, "'" + identity.id() + "' sent a token that expired at "
          + java.time.Instant.ofEpochSecond(token.expiry()));
    }
    if (!token.isSignedWith(keys.primaryKey()) && !token.isSignedWith(keys.secondaryKey())) {
      return refuse(Refusal.BAD_CREDENTIALS, "'" + identity.id() + "' sent a token signed with neither of its keys");
    }
    return new Authenticated(identity);
  }

  private Outcome byCertificate(Identity identity, List<X509Certificate> chain) {
    X509Certificate leaf = chain.get(0);
    if (identity.credentials() instanceof Credentials.X509Thumbprint thumbprints) {
      Optional<String> invalid = ClientCertificates.checkValidity(leaf, clock.instant());
      if (invalid.isPresent()) {
        return refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "': " + invalid.get());
      }
      Thumbprints t = Thumbprints.of(leaf);
      return thumbprints.matches(t.sha256(), t.sha1())
          ? new Authenticated(identity)
          : refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "' presented a certificate whose thumbprint (SHA-256 "
              + t.sha256() + ") is not registered");
    }
    if (identity.credentials() instanceof Credentials.X509Ca) {
      Optional<String> cn = CertificateCheck.commonName(leaf);
      if (cn.isEmpty() || !cn.get().equals(identity.deviceId())) {
        return refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "' presented a certificate with CN '"
            + cn.orElse("") + "'; X.509 CA authentication needs CN = device id");
      }
      return ClientCertificates.verifyChain(chain, trustBundle.get(), clock.instant())
          .<Outcome>map(reason -> refuse(Refusal.NOT_AUTHORIZED, "'" + identity.id() + "': " + reason))
          .orElseGet(() -> new Authenticated(identity));
    }
    return refuse(Refusal.BAD_CREDENTIALS, "'" + identity.id() + "' is registered for SAS authentication but sent no SAS token");
  }

  private static Refused refuse(Refusal refusal, String detail) {
    return new Refused(refusal, detail);
  }
}

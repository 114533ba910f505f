package dev.clearway.actors.upstream;

import dev.clearway.actors.identity.Credentials;
import dev.clearway.actors.identity.Identity;
import dev.clearway.actors.identity.IdentityRegistry;
import dev.clearway.tls.SasToken;
import java.time.Instant;
import java.util.Optional;

/**
 * The SAS token an identity's uplink connection presents to the hub: signed with the identity's
 * own key when the registry holds one, otherwise signed on the identity's behalf with the gateway's
 * own key for the gateway's resource (IoT Edge's on-behalf-of scheme; see reference.conf,
 * {@code clearway.upstream}). The registry is read at each connection attempt, so a key added or
 * rolled takes effect at the next one.
 */
final class HubCredentials {

  /** A token and how it was signed (for log lines; never the token itself). */
  record Token(String password, String signedWith) {
    @Override
    public String toString() {
      return "Token[" + signedWith + "]";
    }
  }

  private final IdentityRegistry registry;
  private final UpstreamSettings settings;

  HubCredentials(IdentityRegistry registry, UpstreamSettings settings) {
    this.registry = registry;
    this.settings = settings;
  }

  /**
   * A token for {@code identityId} valid until {@code expiry}.
   *
   * @throws NoCredentialsException when neither the identity's key nor the gateway's is there
   */
  Token token(String identityId, Instant expiry) throws NoCredentialsException {
    Optional<Identity> identity = registry.find(identityId);
    if (identity.isPresent() && identity.get().credentials() instanceof Credentials.SymmetricKey keys) {
      return new Token(SasToken.create(resource(identity.get().deviceId(), identity.get().moduleId()), keys.primaryKey(), expiry),
          "its own key");
    }
    if (settings.gatewayKey().isPresent() && !settings.gatewayDeviceId().isEmpty()) {
      return new Token(SasToken.create(resource(settings.gatewayDeviceId(), Optional.empty()), settings.gatewayKey().get(), expiry),
          "the gateway's key, on its behalf");
    }
    throw new NoCredentialsException(identity.isEmpty()
        ? "it is not in identities.json and the gateway has no key of its own (clearway.hub.shared-access-key, clearway.hub.device-id)"
        : "it authenticates with X.509 and the gateway has no key of its own to sign on its behalf "
            + "(clearway.hub.shared-access-key, clearway.hub.device-id)");
  }

  private String resource(String deviceId, Optional<String> moduleId) {
    return settings.hubHostname() + "/devices/" + deviceId + moduleId.map(m -> "/modules/" + m).orElse("");
  }

  /** Nothing to sign a token with; the message says what is missing. */
  static final class NoCredentialsException extends Exception {
    private static final long serialVersionUID = 1L;

    NoCredentialsException(String message) {
      super(message);
    }
  }
}

package dev.clearway.actors.hub;

import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthInput;
import com.hivemq.extension.sdk.api.auth.parameter.SimpleAuthOutput;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import dev.clearway.actors.hub.HubStandIn.Auth;
import dev.clearway.actors.hub.HubStandIn.Connect;
import dev.clearway.actors.hub.HubStandIn.Refusal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * IoT Hub's CONNECT check for the MQTT device protocol: client id {@code {d}} or {@code {d}/{m}},
 * user name {@code {hub}/{clientId}/?api-version=…}, password a SAS token for the identity's own
 * resource signed with its key, or (on behalf of) for its gateway's resource signed with the
 * gateway's key. Also the registry those checks read, and the record of what was decided.
 */
final class HubAuthenticator implements SimpleAuthenticator {
  private final String hubHost;
  private final Map<String, String> keys = new ConcurrentHashMap<>();
  private final Map<String, String> parents = new ConcurrentHashMap<>();
  private final List<Connect> connects = new CopyOnWriteArrayList<>();
  private final List<Refusal> refusals = new CopyOnWriteArrayList<>();

  HubAuthenticator(String hubHost) {
    this.hubHost = hubHost;
  }

  void register(String identity, String base64Key) {
    checkIdentity(identity);
    Base64.getDecoder().decode(base64Key); // a key that is not base64 is a test bug: fail at once
    keys.put(identity, base64Key);
  }

  void registerChild(String gatewayId, String childId) {
    checkIdentity(childId);
    if (!keys.containsKey(gatewayId)) {
      throw new IllegalArgumentException("register gateway " + gatewayId + " before its children");
    }
    parents.put(childId, gatewayId);
  }

  List<Connect> connects() {
    return List.copyOf(connects);
  }

  List<Refusal> refusals() {
    return List.copyOf(refusals);
  }

  @Override
  public void onConnect(SimpleAuthInput input, SimpleAuthOutput output) {
    ConnectPacket connect = input.getConnectPacket();
    String clientId = connect.getClientId();
    String user = connect.getUserName().orElse("");
    String password = connect.getPassword().map(HubAuthenticator::utf8).orElse("");
    String why = userNameProblem(clientId, user);
    if (why != null) {
      refuse(output, clientId, ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, why);
      return;
    }
    SasVerifier.Token token;
    try {
      token = SasVerifier.parse(password);
    } catch (SasVerifier.Malformed e) {
      refuse(output, clientId, ConnackReasonCode.NOT_AUTHORIZED, "password: " + e.getMessage());
      return;
    }
    if (token.expiredAt(Instant.now())) {
      refuse(output, clientId, ConnackReasonCode.NOT_AUTHORIZED, "token expired at " + token.expiresAt());
      return;
    }
    String gateway = parents.get(clientId);
    if (sameResource(token.resource(), resourceOf(clientId))) {
      String key = keys.get(clientId);
      if (key != null && SasVerifier.signedWith(token, key)) {
        accept(output, clientId, Auth.OWN_KEY);
      } else {
        refuse(output, clientId, ConnackReasonCode.NOT_AUTHORIZED,
            key == null ? "identity has no key registered" : "signature does not match the identity's key");
      }
    } else if (gateway != null && sameResource(token.resource(), resourceOf(gateway))) {
      if (SasVerifier.signedWith(token, keys.get(gateway))) {
        accept(output, clientId, Auth.ON_BEHALF_OF);
      } else {
        refuse(output, clientId, ConnackReasonCode.NOT_AUTHORIZED, "signature does not match gateway " + gateway + "'s key");
      }
    } else {
      refuse(output, clientId, ConnackReasonCode.NOT_AUTHORIZED, "token resource '" + token.resource()
          + "' covers neither the identity" + (gateway == null ? " (which has no gateway)" : " nor its gateway " + gateway));
    }
  }

  /** Null when the user name is {@code {hub}/{clientId}/?…api-version=…}; else what is wrong. */
  private String userNameProblem(String clientId, String user) {
    String prefix = hubHost + "/" + clientId + "/?";
    boolean prefixOk = user.length() >= prefix.length()
        && user.regionMatches(true, 0, hubHost, 0, hubHost.length()) // host names are case-insensitive
        && user.startsWith(prefix.substring(hubHost.length()), hubHost.length());
    if (!prefixOk) {
      return "user name '" + user + "' is not " + prefix + "api-version=…";
    }
    for (String field : user.substring(prefix.length()).split("&")) {
      if (field.startsWith("api-version=") && field.length() > "api-version=".length()) {
        return null;
      }
    }
    return "user name has no api-version";
  }

  private String resourceOf(String identity) {
    int slash = identity.indexOf('/');
    return slash < 0
        ? hubHost + "/devices/" + identity
        : hubHost + "/devices/" + identity.substring(0, slash) + "/modules/" + identity.substring(slash + 1);
  }

  /** The host part compares case-insensitively, the ids exactly. */
  private boolean sameResource(String actual, String expected) {
    int hostEnd = hubHost.length();
    return actual.length() == expected.length()
        && actual.regionMatches(true, 0, expected, 0, hostEnd)
        && actual.regionMatches(hostEnd, expected, hostEnd, expected.length() - hostEnd);
  }

  private void accept(SimpleAuthOutput output, String clientId, Auth auth) {
    connects.add(new Connect(clientId, auth, Instant.now()));
    output.authenticateSuccessfully();
  }

  private void refuse(SimpleAuthOutput output, String clientId, ConnackReasonCode code, String why) {
    refusals.add(new Refusal(clientId, code.name().toLowerCase(Locale.ROOT), why, Instant.now()));
    output.failAuthentication(code, why);
  }

  private static void checkIdentity(String identity) {
    if (!identity.matches("[^/]+(/[^/]+)?")) {
      throw new IllegalArgumentException("an identity is {deviceId} or {deviceId}/{moduleId}: " + identity);
    }
  }

  private static String utf8(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}

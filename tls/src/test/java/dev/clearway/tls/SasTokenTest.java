package dev.clearway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SasTokenTest {
  private static final String KEY = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
  private static final String OTHER_KEY = Base64.getEncoder().encodeToString("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII));
  private static final Instant IN_AN_HOUR = Instant.now().plusSeconds(3600);

  @Test
  void aCreatedTokenParsesAndVerifiesWithItsKeyOnly() throws Exception {
    SasToken t = SasToken.parse(SasToken.create("hub.azure-devices.net/devices/d1", KEY, IN_AN_HOUR));

    assertThat(t.resource()).isEqualTo("hub.azure-devices.net/devices/d1");
    assertThat(t.expiry()).isEqualTo(IN_AN_HOUR.getEpochSecond());
    assertThat(t.isSignedWith(KEY)).isTrue();
    assertThat(t.isSignedWith(OTHER_KEY)).isFalse();
    assertThat(t.isExpired(Instant.now())).isFalse();
    assertThat(t.isExpired(IN_AN_HOUR)).isTrue();
  }

  @Test
  void theSignatureIsTheHmacOpensslComputesOverTheEncodedResourceAndExpiry(@TempDir Path dir) throws Exception {
    String token = SasToken.create("hub.azure-devices.net/devices/d1/modules/m1", KEY, IN_AN_HOUR);
    Path input = dir.resolve("to-sign");
    Files.writeString(input, "hub.azure-devices.net%2Fdevices%2Fd1%2Fmodules%2Fm1\n" + IN_AN_HOUR.getEpochSecond());
    String hexKey = HexFormat.of().formatHex(Base64.getDecoder().decode(KEY));

    OpenSsl.Result r = OpenSsl.run("dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:" + hexKey, "-binary",
        "-out", dir.resolve("mac").toString(), input.toString());

    assertThat(r.ok()).as(r.output()).isTrue();
    String expected = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("mac")));
    assertThat(token).contains("&sig=" + java.net.URLEncoder.encode(expected, StandardCharsets.UTF_8) + "&");
  }

  @Test
  void aTokenEncodedWithLowerCaseHexStillVerifiesBecauseTheTokensOwnTextIsSigned() throws Exception {
    // Some SDKs percent-encode as %2f; the signature covers exactly that text.
    String upper = SasToken.create("hub/devices/d1", KEY, IN_AN_HOUR);
    SasToken reference = SasToken.parse(upper);
    String lowerResource = "hub%2fdevices%2fd1";
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(Base64.getDecoder().decode(KEY), "HmacSHA256"));
    String sig = Base64.getEncoder().encodeToString(mac.doFinal((lowerResource + "\n" + reference.expiry()).getBytes(StandardCharsets.UTF_8)));
    String lower = "SharedAccessSignature se=" + reference.expiry() + "&sr=" + lowerResource + "&sig="
        + java.net.URLEncoder.encode(sig, StandardCharsets.UTF_8);

    SasToken t = SasToken.parse(lower);

    assertThat(t.resource()).isEqualTo("hub/devices/d1");
    assertThat(t.isSignedWith(KEY)).isTrue();
  }

  @Test
  void aTamperedResourceNoLongerVerifies() throws Exception {
    String token = SasToken.create("hub/devices/d1", KEY, IN_AN_HOUR).replace("d1", "d2");

    assertThat(SasToken.parse(token).isSignedWith(KEY)).isFalse();
  }

  @Test
  void malformedTokensAreRefusedWithTheFaultNamed() {
    String[][] cases = {
        {"Bearer abc", "not a SharedAccessSignature token"},
        {"SharedAccessSignature sr=a&sig=b", "token has no 'se' field"},
        {"SharedAccessSignature sr=a&sig=b&se=soon", "token expiry 'se' is not a number of seconds"},
        {"SharedAccessSignature sr=a&sig=b&se=1&x=2", "unknown token field 'x'"},
        {"SharedAccessSignature sr=a&sr=b&sig=b&se=1", "token field 'sr' appears twice"},
        {"SharedAccessSignature sr=a&sig&se=1", "token field 'sig' has no name=value form"},
        {"SharedAccessSignature sr=%zz&sig=b&se=1", "token has a malformed percent-encoding"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> SasToken.parse(c[0])).as(c[0])
          .isInstanceOf(SasToken.MalformedTokenException.class).hasMessage(c[1]);
    }
  }

  @Test
  void aKeyThatIsNotBase64NeverVerifies() throws Exception {
    assertThat(SasToken.parse(SasToken.create("hub/devices/d1", KEY, IN_AN_HOUR)).isSignedWith("not base64!")).isFalse();
  }

  @Test
  void toStringNeverShowsTheSignature() throws Exception {
    String token = SasToken.create("hub/devices/d1", KEY, IN_AN_HOUR);
    String sig = token.substring(token.indexOf("sig=") + 4, token.indexOf("&se="));

    assertThat(SasToken.parse(token).toString()).doesNotContain(sig).doesNotContain(java.net.URLDecoder.decode(sig, StandardCharsets.UTF_8));
  }
}

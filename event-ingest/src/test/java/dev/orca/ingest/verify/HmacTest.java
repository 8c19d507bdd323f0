package dev.orca.ingest.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The providers' own documented examples, and rotation. */
class HmacTest {
  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void githubsDocumentedExampleVerifies() {
    // docs.github.com, "Validating webhook deliveries": secret, payload and expected signature.
    String expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    assertThat(Hmac.hex(bytes("It's a Secret to Everybody"), bytes("Hello, World!"))).isEqualTo(expected);
    assertThat(Hmac.matchesAny(List.of(bytes("It's a Secret to Everybody")), expected, bytes("Hello, World!"))).isTrue();
    assertThat(Hmac.matchesAny(List.of(bytes("It's a Secret to Everybody")), expected.toUpperCase(), bytes("Hello, World!")))
        .as("hex is case-insensitive").isTrue();
  }

  @Test
  void slacksDocumentedExampleVerifiesOverVersionTimestampAndBody() {
    // api.slack.com, "Verifying requests from Slack": signing secret, timestamp, body and X-Slack-Signature.
    String body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
        + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assertThat(Hmac.matchesAny(List.of(bytes("8f742231b10e8888abcd99yyyzzz85a5")),
        "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        bytes("v0:1531420618:"), bytes(body))).isTrue();
  }

  @Test
  void anyConfiguredSecretMatchesSoASecretCanBeRotated() {
    byte[] body = bytes("{\"action\":\"opened\"}");
    String signedWithNew = Hmac.hex(bytes("new"), body);
    assertThat(Hmac.matchesAny(List.of(bytes("old"), bytes("new")), signedWithNew, body)).isTrue();
    assertThat(Hmac.matchesAny(List.of(bytes("old")), signedWithNew, body)).isFalse();
    assertThat(Hmac.matchesAny(List.of(), signedWithNew, body)).isFalse();
  }

  @Test
  void aTamperedBodyOrAMalformedSignatureMatchesNothing() {
    byte[] body = bytes("{\"action\":\"opened\"}");
    String signature = Hmac.hex(bytes("s"), body);
    assertThat(Hmac.matchesAny(List.of(bytes("s")), signature, bytes("{\"action\":\"closed\"}"))).isFalse();
    assertThat(Hmac.matchesAny(List.of(bytes("s")), "not hex at all", body)).isFalse();
    assertThat(Hmac.matchesAny(List.of(bytes("s")), signature.substring(2), body)).isFalse();
    assertThat(Hmac.matchesAny(List.of(bytes("s")), "", body)).isFalse();
  }
}

package dev.orca.ingest;

import dev.orca.ingest.verify.Hmac;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Recorded provider payloads ({@code src/test/resources/webhooks/}) and the headers each provider
 * sends with them, signed here as the provider would sign them.
 */
final class Fixtures {
  static final String GITHUB_SECRET = "It's a Secret to Everybody";
  static final String GITHUB_OLD_SECRET = "the secret before rotation";
  static final String SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
  static final String LINEAR_SECRET = "lin_wh_test_signing_secret";

  private Fixtures() {}

  static byte[] payload(String path) {
    try (InputStream in = Fixtures.class.getResourceAsStream("/webhooks/" + path)) {
      if (in == null) {
        throw new IllegalArgumentException("no fixture " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The GitHub issues.opened payload for another repository {@code owner/name} (same shape otherwise). */
  static byte[] githubIssueOpened(String fullName, int number) {
    String body = new String(payload("github/issues.opened.json"), StandardCharsets.UTF_8)
        .replace("Codertocat/Hello-World", fullName)
        .replace("\"number\": 1,", "\"number\": " + number + ",");
    return body.getBytes(StandardCharsets.UTF_8);
  }

  static Map<String, String> github(String secret, String event, String delivery, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("X-GitHub-Event", event);
    headers.put("X-GitHub-Delivery", delivery);
    headers.put("X-Hub-Signature-256", "sha256=" + Hmac.hex(bytes(secret), body));
    headers.put("User-Agent", "GitHub-Hookshot/044aadd");
    return headers;
  }

  static Map<String, String> slack(String secret, long timestamp, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("X-Slack-Request-Timestamp", Long.toString(timestamp));
    headers.put("X-Slack-Signature", "v0=" + Hmac.hex(bytes(secret), bytes("v0:" + timestamp + ":"), body));
    return headers;
  }

  /** The Linear Issue create payload with {@code webhookTimestamp} set to {@code at}. */
  static byte[] linearIssueCreate(Instant at) {
    String body = new String(payload("linear/Issue.create.json"), StandardCharsets.UTF_8)
        .replace("\"webhookTimestamp\": 1741343687358", "\"webhookTimestamp\": " + at.toEpochMilli());
    return body.getBytes(StandardCharsets.UTF_8);
  }

  static Map<String, String> linear(String secret, String delivery, byte[] body) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (delivery != null) {
      headers.put("Linear-Delivery", delivery);
    }
    headers.put("Linear-Event", "Issue");
    headers.put("Linear-Signature", Hmac.hex(bytes(secret), body));
    return headers;
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}

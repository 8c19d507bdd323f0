package dev.orca.ingest.provider;

import dev.orca.ingest.Source;
import dev.orca.ingest.verify.Hmac;
import dev.orca.ingest.verify.WebhookSecrets;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Slack Events API: {@code X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">} with
 * {@code X-Slack-Request-Timestamp} at most 5 minutes away. {@code url_verification} is answered with
 * its challenge; an {@code event_callback} is published with its {@code event_id} as delivery id, so a
 * retry ({@code X-Slack-Retry-Num}) is the same delivery and is recognised as a duplicate. Type
 * {@code com.slack.<event.type>}, source {@code urn:slack:team:<team_id>}, key
 * {@code <team_id>/<channel>} (the workspace alone for events outside a channel). Other envelope
 * types (such as {@code app_rate_limited}) are answered and not published.
 */
@Component
public class SlackProvider implements Provider {
  static final String SIGNATURE = "X-Slack-Signature";
  static final String TIMESTAMP = "X-Slack-Request-Timestamp";
  static final Duration MAX_AGE = Duration.ofMinutes(5);
  private static final String PREFIX = "v0=";

  private final WebhookSecrets secrets;
  private final ObjectMapper json;

  public SlackProvider(WebhookSecrets secrets, ObjectMapper json) {
    this.secrets = secrets;
    this.json = json;
  }

  @Override
  public Source source() {
    return Source.SLACK;
  }

  @Override
  public String eventLabel(HttpHeaders headers) {
    return EventLabels.UNKNOWN; // Slack names the event only in the body
  }

  @Override
  public Verdict read(HttpHeaders headers, byte[] body, Instant now) {
    String label = EventLabels.UNKNOWN;
    String signature = headers.getFirst(SIGNATURE);
    String timestamp = headers.getFirst(TIMESTAMP);
    if (signature == null || timestamp == null) {
      throw Rejection.badSignature("Missing " + (signature == null ? SIGNATURE : TIMESTAMP)
          + " (Slack signs v0:{timestamp}:{body} with the app's signing secret)", label);
    }
    if (!signature.startsWith(PREFIX) || !Hmac.matchesAny(secrets.of(Source.SLACK), signature.substring(PREFIX.length()),
        ("v0:" + timestamp + ":").getBytes(StandardCharsets.UTF_8), body)) {
      throw Rejection.badSignature(SIGNATURE + " does not match v0:{timestamp}:{body} under any configured secret", label);
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.strip());
    } catch (NumberFormatException e) {
      throw Rejection.badSignature(TIMESTAMP + " must be Unix seconds", label);
    }
    if (Math.abs(now.getEpochSecond() - seconds) > MAX_AGE.toSeconds()) {
      throw Rejection.stale(TIMESTAMP + " is more than 5 minutes from now; a replayed or delayed request is refused", label);
    }
    JsonNode payload = Payloads.object(json, body,
        "Slack Events API; slash commands and interactivity payloads are not accepted here", label);
    String envelope = Payloads.text(payload.get("type"));
    if ("url_verification".equals(envelope)) {
      String challenge = Payloads.text(payload.get("challenge"));
      if (challenge == null) {
        throw Rejection.malformed("url_verification without a challenge", "url_verification");
      }
      return new Verdict.Answer("url_verification", json.createObjectNode().put("challenge", challenge).toString());
    }
    if (!"event_callback".equals(envelope)) {
      return new Verdict.Answer(EventLabels.of(EventLabels.SLACK, envelope), "{\"outcome\":\"answered\"}");
    }
    JsonNode event = payload.path("event");
    String eventType = Payloads.text(event.get("type"));
    label = EventLabels.of(EventLabels.SLACK, eventType);
    String eventId = Payloads.text(payload.get("event_id"));
    String team = Payloads.text(payload.get("team_id"));
    if (!Payloads.isName(eventType) || eventId == null || eventId.length() > 255 || team == null) {
      throw Rejection.malformed("An event_callback needs event.type, event_id and team_id", label);
    }
    String channel = Payloads.text(event.get("channel"));
    if (channel == null) {
      channel = Payloads.text(event.path("channel").get("id")); // channel_created and the like
    }
    URI origin = URI.create("urn:slack:team:" + Payloads.urnPart(team));
    String key = channel != null ? team + "/" + channel : team;
    return new Verdict.Accept(new Webhook(Source.SLACK, eventId, label, "com.slack." + eventType, origin, null, key, body, now));
  }

}

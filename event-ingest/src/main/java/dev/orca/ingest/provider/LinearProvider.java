package dev.orca.ingest.provider;

import dev.orca.ingest.Source;
import dev.orca.ingest.verify.Hmac;
import dev.orca.ingest.verify.WebhookSecrets;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Linear: {@code Linear-Signature: <hex HMAC-SHA256 of the body>} and {@code webhookTimestamp} (Unix
 * ms) in the body at most 60 s from now. The delivery id is {@code Linear-Delivery}; without it, a
 * stable {@code sha256:} hash of type, action, data id and the action's {@code createdAt} (so a retry
 * hashes alike, while a second update of the same issue does not). Type
 * {@code com.linear.<type>.<action>}, source {@code urn:linear:team:<teamId>} (the organization's
 * when there is no team), subject the issue identifier (e.g. {@code ENG-123}) or the data id, key the
 * team id.
 */
@Component
public class LinearProvider implements Provider {
  static final String SIGNATURE = "Linear-Signature";
  static final String DELIVERY = "Linear-Delivery";
  static final String EVENT = "Linear-Event";
  static final Duration MAX_AGE = Duration.ofSeconds(60);

  private final WebhookSecrets secrets;
  private final ObjectMapper json;

  public LinearProvider(WebhookSecrets secrets, ObjectMapper json) {
    this.secrets = secrets;
    this.json = json;
  }

  @Override
  public Source source() {
    return Source.LINEAR;
  }

  @Override
  public String eventLabel(HttpHeaders headers) {
    return EventLabels.of(EventLabels.LINEAR, headers.getFirst(EVENT));
  }

  @Override
  public Verdict read(HttpHeaders headers, byte[] body, Instant now) {
    String label = eventLabel(headers);
    String signature = headers.getFirst(SIGNATURE);
    if (signature == null) {
      throw Rejection.badSignature("Missing " + SIGNATURE + " (hex HMAC-SHA256 of the body under the webhook's signing secret)", label);
    }
    if (!Hmac.matchesAny(secrets.of(Source.LINEAR), signature.strip(), body)) {
      throw Rejection.badSignature(SIGNATURE + " does not match the body under any configured secret", label);
    }
    JsonNode payload = Payloads.object(json, body, "a Linear webhook payload", label);
    String type = Payloads.text(payload.get("type"));
    label = EventLabels.of(EventLabels.LINEAR, type);
    JsonNode timestamp = payload.get("webhookTimestamp");
    if (timestamp == null || !timestamp.isIntegralNumber()) {
      throw Rejection.malformed("webhookTimestamp (Unix milliseconds) is missing", label);
    }
    if (Math.abs(now.toEpochMilli() - timestamp.asLong()) > MAX_AGE.toMillis()) {
      throw Rejection.stale("webhookTimestamp is more than 60 s from now; a replayed or delayed delivery is refused", label);
    }
    String action = Payloads.text(payload.get("action"));
    if (!Payloads.isName(type) || !Payloads.isName(action)) {
      throw Rejection.malformed("type and action are required (e.g. Issue, create)", label);
    }
    JsonNode data = payload.path("data");
    String dataId = Payloads.text(data.get("id"));
    String delivery = headers.getFirst(DELIVERY);
    if (delivery == null || delivery.isBlank()) {
      delivery = "sha256:" + hash(type, action, dataId, Payloads.text(payload.get("createdAt")));
    } else if (delivery.length() > 255) {
      throw Rejection.malformed(DELIVERY + " is longer than 255 characters", label);
    }
    String team = Payloads.text(data.get("teamId"));
    if (team == null) {
      team = Payloads.text(data.path("team").get("id"));
    }
    String organization = Payloads.text(payload.get("organizationId"));
    URI origin = URI.create(team != null ? "urn:linear:team:" + Payloads.urnPart(team)
        : organization != null ? "urn:linear:organization:" + Payloads.urnPart(organization) : "urn:linear");
    String key = team != null ? team : organization != null ? organization : "linear";
    String identifier = Payloads.text(data.get("identifier"));
    return new Verdict.Accept(new Webhook(Source.LINEAR, delivery.strip(), label, "com.linear." + type + "." + action,
        origin, identifier != null ? identifier : dataId, key, body, now));
  }

  private static String hash(String... parts) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (String part : parts) {
        digest.update(String.valueOf(part).getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}

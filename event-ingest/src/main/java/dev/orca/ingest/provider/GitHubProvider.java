package dev.orca.ingest.provider;

import dev.orca.ingest.Source;
import dev.orca.ingest.verify.Hmac;
import dev.orca.ingest.verify.WebhookSecrets;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * GitHub: {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>}, the event in
 * {@code X-GitHub-Event} and the delivery id in {@code X-GitHub-Delivery}. {@code ping} is answered
 * and not published. Type {@code com.github.<event>[.<action>]}, source the repository's URL
 * ({@code https://github.com/<owner>/<repo>}; the organization's, or {@code https://github.com}, for
 * events without one), subject the issue, pull request or discussion number, key {@code <owner>/<repo>}.
 */
@Component
public class GitHubProvider implements Provider {
  static final String SIGNATURE = "X-Hub-Signature-256";
  static final String EVENT = "X-GitHub-Event";
  static final String DELIVERY = "X-GitHub-Delivery";
  private static final String PREFIX = "sha256=";
  /** Where the subject is, first found wins: the issue's, pull request's or discussion's number, or a top-level one. */
  private static final List<String> SUBJECTS = List.of("issue.number", "pull_request.number", "discussion.number", "number");
  private static final Payloads.Fields FIELDS = Payloads.Fields.of(Stream.concat(
      Stream.of("action", "repository.full_name", "repository.html_url", "organization.login"), SUBJECTS.stream()).toList());

  private final WebhookSecrets secrets;
  private final ObjectMapper json;

  public GitHubProvider(WebhookSecrets secrets, ObjectMapper json) {
    this.secrets = secrets;
    this.json = json;
  }

  @Override
  public Source source() {
    return Source.GITHUB;
  }

  @Override
  public String eventLabel(HttpHeaders headers) {
    return EventLabels.of(EventLabels.GITHUB, headers.getFirst(EVENT));
  }

  @Override
  public Verdict read(HttpHeaders headers, byte[] body, Instant now) {
    String label = eventLabel(headers);
    String signature = headers.getFirst(SIGNATURE);
    if (signature == null) {
      throw Rejection.badSignature("Missing " + SIGNATURE + " (sha256=<hex HMAC-SHA256 of the body under the webhook secret>)", label);
    }
    if (!signature.startsWith(PREFIX)
        || !Hmac.matchesAny(secrets.of(Source.GITHUB), signature.substring(PREFIX.length()), body)) {
      throw Rejection.badSignature(SIGNATURE + " does not match the body under any configured secret", label);
    }
    String event = headers.getFirst(EVENT);
    if (!Payloads.isName(event)) {
      throw Rejection.malformed("Missing or invalid " + EVENT + " header (the GitHub event name, e.g. issues)", label);
    }
    String delivery = headers.getFirst(DELIVERY);
    if (delivery == null || delivery.isBlank() || delivery.length() > 255) {
      throw Rejection.malformed("Missing or invalid " + DELIVERY + " header (GitHub's delivery GUID)", label);
    }
    Map<String, String> payload = Payloads.fields(json, body, FIELDS, "a GitHub webhook payload", label);
    if (event.equals("ping")) {
      return new Verdict.Answer(label, "{\"outcome\":\"answered\",\"event\":\"ping\"}");
    }
    String action = payload.get("action");
    String type = "com.github." + event + (Payloads.isName(action) ? "." + action : "");
    String fullName = payload.get("repository.full_name");
    String organization = payload.get("organization.login");
    String key = fullName != null ? fullName : organization != null ? organization : "github";
    return new Verdict.Accept(new Webhook(Source.GITHUB, delivery.strip(), label, type,
        origin(payload.get("repository.html_url"), fullName, organization, label),
        subject(payload), key, body, now));
  }

  private static URI origin(String htmlUrl, String fullName, String organization, String label) {
    String url = htmlUrl != null ? htmlUrl
        : fullName != null ? "https://github.com/" + fullName
        : organization != null ? "https://github.com/" + organization
        : "https://github.com";
    try {
      return new URI(url);
    } catch (java.net.URISyntaxException e) {
      throw Rejection.malformed("repository.html_url is not a URL", label);
    }
  }

  private static String subject(Map<String, String> payload) {
    for (String number : SUBJECTS) {
      if (payload.containsKey(number)) {
        return payload.get(number);
      }
    }
    return null;
  }
}

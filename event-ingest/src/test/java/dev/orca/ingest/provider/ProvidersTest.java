package dev.orca.ingest.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.verify.Hmac;
import dev.orca.ingest.verify.WebhookSecrets;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/** What each provider reads from a request, and what it refuses, without a server. */
class ProvidersTest {
  static final Instant NOW = Instant.parse("2026-11-24T00:00:00Z");
  final JsonMapper json = JsonMapper.builder().build();
  final WebhookSecrets secrets = new WebhookSecrets(new IngestProperties(DataSize.ofMegabytes(25), Duration.ofSeconds(2),
      100, 4, 100, 3, Duration.ofHours(72), Duration.ofSeconds(2), Duration.ZERO, 0,
      new IngestProperties.Secrets(List.of("gh"), List.of()), new IngestProperties.Secrets(List.of("lin"), List.of()),
      new IngestProperties.Secrets(List.of("sl"), List.of())));

  @AfterEach
  void close() {
    secrets.destroy();
  }

  @Test
  void githubPullRequestHasItsNumberAsSubjectAndAnUnknownEventIsLabelledOther() {
    byte[] body = bytes("{\"action\":\"synchronize\",\"number\":42,\"pull_request\":{\"number\":42},"
        + "\"repository\":{\"full_name\":\"acme/api\",\"html_url\":\"https://github.com/acme/api\"}}");
    Webhook webhook = accept(new GitHubProvider(secrets, json).read(github("pull_request", body), body, NOW));
    assertThat(webhook.type()).isEqualTo("com.github.pull_request.synchronize");
    assertThat(webhook.subject()).isEqualTo("42");
    assertThat(webhook.key()).isEqualTo("acme/api");
    assertThat(webhook.event()).isEqualTo("pull_request");

    byte[] push = bytes("{\"ref\":\"refs/heads/main\",\"repository\":{\"full_name\":\"acme/api\"}}");
    Webhook pushed = accept(new GitHubProvider(secrets, json).read(github("push", push), push, NOW));
    assertThat(pushed.type()).isEqualTo("com.github.push");
    assertThat(pushed.subject()).isNull();
    assertThat(pushed.origin().toString()).isEqualTo("https://github.com/acme/api");

    assertThat(new GitHubProvider(secrets, json).eventLabel(github("brand_new_event", push))).isEqualTo(EventLabels.OTHER);
  }

  @Test
  void githubReadsOnlyItsFieldsWhereTheyAreButRefusesABodyThatIsNotOneWellFormedObject() {
    // Same names elsewhere (sender.number, a nested repository) do not count; the last of a repeated name does.
    byte[] body = bytes("{\"sender\":{\"number\":7,\"repository\":{\"full_name\":\"evil/x\"}},\"action\":\"closed\","
        + "\"issue\":{\"labels\":[{\"number\":9}],\"number\":3},\"action\":\"opened\","
        + "\"repository\":{\"owner\":{\"html_url\":\"https://github.com/evil\"},\"full_name\":\"acme/api\"}}");
    Webhook webhook = accept(new GitHubProvider(secrets, json).read(github("issues", body), body, NOW));
    assertThat(webhook.type()).isEqualTo("com.github.issues.opened");
    assertThat(webhook.subject()).isEqualTo("3");
    assertThat(webhook.key()).isEqualTo("acme/api");
    assertThat(webhook.origin().toString()).isEqualTo("https://github.com/acme/api");

    for (String bad : List.of("[1]", "", "{\"a\":1} {\"b\":2}", "{\"sender\":{\"login\":tru}, \"action\":\"opened\"}",
        "{\"action\":\"opened\"")) {
      byte[] malformed = bytes(bad);
      assertThatThrownBy(() -> new GitHubProvider(secrets, json).read(github("issues", malformed), malformed, NOW))
          .as(bad).isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.outcome()).isEqualTo(Outcome.MALFORMED));
    }
  }

  @Test
  void linearWithoutDeliveryHeaderHashesStablyAcrossRetriesButNotAcrossUpdates() {
    LinearProvider linear = new LinearProvider(secrets, json);
    String update = "{\"action\":\"update\",\"type\":\"Issue\",\"createdAt\":\"%s\",\"data\":{\"id\":\"i1\",\"teamId\":\"t1\"},"
        + "\"webhookTimestamp\":%d}";
    byte[] first = bytes(update.formatted("2026-11-24T00:00:00Z", NOW.toEpochMilli()));
    byte[] retry = bytes(update.formatted("2026-11-24T00:00:00Z", NOW.toEpochMilli() + 30_000));
    byte[] second = bytes(update.formatted("2026-11-24T00:00:05Z", NOW.toEpochMilli()));
    String a = accept(linear.read(linear(first), first, NOW)).deliveryId();
    assertThat(accept(linear.read(linear(retry), retry, NOW)).deliveryId()).isEqualTo(a);
    assertThat(accept(linear.read(linear(second), second, NOW)).deliveryId()).isNotEqualTo(a).startsWith("sha256:");
  }

  @Test
  void slackRefusesOldTimestampsAndFormEncodedBodies() {
    SlackProvider slack = new SlackProvider(secrets, json);
    byte[] body = bytes("{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"team_id\":\"T1\",\"event\":{\"type\":\"app_mention\",\"channel\":\"C1\"}}");
    long old = NOW.minus(Duration.ofMinutes(5)).minusSeconds(1).getEpochSecond();
    assertThatThrownBy(() -> slack.read(slack(old, body), body, NOW))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.outcome()).isEqualTo(Outcome.STALE));
    Webhook mention = accept(slack.read(slack(NOW.getEpochSecond(), body), body, NOW));
    assertThat(mention.key()).isEqualTo("T1/C1");
    assertThat(mention.event()).isEqualTo("app_mention");

    byte[] form = bytes("token=x&team_id=T1&command=%2Fdeploy");
    assertThatThrownBy(() -> slack.read(slack(NOW.getEpochSecond(), form), form, NOW))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.status()).isEqualTo(400));
  }

  private static Webhook accept(Verdict verdict) {
    assertThat(verdict).isInstanceOf(Verdict.Accept.class);
    return ((Verdict.Accept) verdict).webhook();
  }

  private static HttpHeaders github(String event, byte[] body) {
    HttpHeaders headers = new HttpHeaders();
    headers.add("X-GitHub-Event", event);
    headers.add("X-GitHub-Delivery", "d-1");
    headers.add("X-Hub-Signature-256", "sha256=" + Hmac.hex(bytes("gh"), body));
    return headers;
  }

  private static HttpHeaders linear(byte[] body) {
    HttpHeaders headers = new HttpHeaders();
    headers.add("Linear-Signature", Hmac.hex(bytes("lin"), body));
    return headers;
  }

  private static HttpHeaders slack(long timestamp, byte[] body) {
    HttpHeaders headers = new HttpHeaders();
    headers.add("X-Slack-Request-Timestamp", Long.toString(timestamp));
    headers.add("X-Slack-Signature", "v0=" + Hmac.hex(bytes("sl"), bytes("v0:" + timestamp + ":"), body));
    return headers;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

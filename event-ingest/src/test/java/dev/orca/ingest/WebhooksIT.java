package dev.orca.ingest;

import static dev.orca.ingest.Fixtures.GITHUB_OLD_SECRET;
import static dev.orca.ingest.Fixtures.GITHUB_SECRET;
import static dev.orca.ingest.Fixtures.LINEAR_SECRET;
import static dev.orca.ingest.Fixtures.SLACK_SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestKafka;
import dev.orca.testsupport.TestPostgres;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Webhooks end to end against real PostgreSQL and Kafka: recorded provider payloads, signed here,
 * become CloudEvents on {@code orca.webhooks.*}; every refusal is problem+json and publishes nothing;
 * a delivery is published once however often it arrives.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class WebhooksIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("ingest_webhooks"));
  static final int MAX_BODY = 256 * 1024;
  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  static final Duration WAIT = Duration.ofSeconds(60);

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    registry.add("orca.ingest.github.secrets", () -> GITHUB_OLD_SECRET + "," + GITHUB_SECRET);
    registry.add("orca.ingest.slack.secrets", () -> SLACK_SECRET);
    registry.add("orca.ingest.linear.secrets", () -> LINEAR_SECRET);
    registry.add("orca.ingest.max-body-size", () -> MAX_BODY + "B");
  }

  @LocalServerPort int port;

  @Test
  void githubIssueOpenedIsPublishedAsBinaryCloudEventKeyedByRepository() throws Exception {
    String delivery = UUID.randomUUID().toString();
    byte[] body = Fixtures.payload("github/issues.opened.json");

    HttpResponse<String> response = post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", delivery, body), body);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"outcome\":\"published\"").contains(delivery);
    try (TopicReader topic = reader("orca.webhooks.github")) {
      ConsumerRecord<String, byte[]> record = topic.until(r -> TopicReader.contains(r, delivery), WAIT).stream()
          .filter(r -> delivery.equals(TopicReader.id(r))).findFirst().orElseThrow();
      assertThat(record.key()).isEqualTo("Codertocat/Hello-World");
      assertThat(record.value()).isEqualTo(body);
      assertThat(TopicReader.header(record, "ce_specversion")).isEqualTo("1.0");
      assertThat(TopicReader.header(record, "ce_type")).isEqualTo("com.github.issues.opened");
      assertThat(TopicReader.header(record, "ce_source")).isEqualTo("https://github.com/Codertocat/Hello-World");
      assertThat(TopicReader.header(record, "ce_subject")).isEqualTo("1");
      assertThat(TopicReader.header(record, "content-type")).isEqualTo("application/json");
      assertThat(Instant.parse(TopicReader.header(record, "ce_time"))).isBefore(Instant.now().plusSeconds(1));
    }
    // Marked published in the background, after the answer.
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!published("github", delivery) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(published("github", delivery)).isTrue();
  }

  @Test
  void aRotatedSecretIsStillAcceptedAndPingIsAnsweredWithoutPublishing() throws Exception {
    String rotated = UUID.randomUUID().toString();
    byte[] body = Fixtures.githubIssueOpened("octo-org/rotation", 7);
    assertThat(post("/webhooks/github", Fixtures.github(GITHUB_OLD_SECRET, "issues", rotated, body), body).statusCode())
        .isEqualTo(200);

    String ping = UUID.randomUUID().toString();
    byte[] pingBody = Fixtures.payload("github/ping.json");
    HttpResponse<String> pong = post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "ping", ping, pingBody), pingBody);
    assertThat(pong.statusCode()).isEqualTo(200);
    assertThat(pong.body()).contains("answered");

    String marker = sendMarker("octo-org/rotation");
    try (TopicReader topic = reader("orca.webhooks.github")) {
      List<ConsumerRecord<String, byte[]>> records = topic.until(r -> TopicReader.contains(r, marker), WAIT);
      assertThat(TopicReader.contains(records, rotated)).isTrue();
      assertThat(TopicReader.contains(records, ping)).isFalse();
    }
  }

  @Test
  void everyRefusalIsProblemJsonAndPublishesNothing() throws Exception {
    byte[] body = Fixtures.githubIssueOpened("octo-org/refusals", 3);
    List<String> refused = new ArrayList<>();
    Function<String, String> id = why -> {
      String delivery = why + "-" + UUID.randomUUID();
      refused.add(delivery);
      return delivery;
    };

    Map<String, String> unsigned = Fixtures.github(GITHUB_SECRET, "issues", id.apply("unsigned"), body);
    unsigned.remove("X-Hub-Signature-256");
    assertProblem(post("/webhooks/github", unsigned, body), 401, "bad_signature");

    assertProblem(post("/webhooks/github", Fixtures.github("not the secret", "issues", id.apply("wrong"), body), body),
        401, "bad_signature");

    byte[] tampered = Fixtures.githubIssueOpened("octo-org/refusals", 4);
    assertProblem(post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", id.apply("tampered"), body), tampered),
        401, "bad_signature");

    byte[] notJson = Fixtures.bytes("{\"action\": \"opened\", ");
    assertProblem(post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", id.apply("notjson"), notJson), notJson),
        400, "malformed");

    Map<String, String> noDelivery = Fixtures.github(GITHUB_SECRET, "issues", "x", body);
    noDelivery.remove("X-GitHub-Delivery");
    assertProblem(post("/webhooks/github", noDelivery, body), 400, "malformed");

    byte[] huge = new byte[MAX_BODY + 1];
    java.util.Arrays.fill(huge, (byte) ' ');
    assertProblem(post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", id.apply("large"), huge), huge),
        413, "too_large");
    // Without Content-Length (chunked), the limit stops the read as it passes.
    assertProblem(postChunked("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", id.apply("chunked"), huge), huge),
        413, "too_large");

    long staleTs = Instant.now().minus(Duration.ofMinutes(6)).getEpochSecond();
    byte[] slackBody = Fixtures.payload("slack/event_callback.message.json");
    assertProblem(post("/webhooks/slack", Fixtures.slack(SLACK_SECRET, staleTs, slackBody), slackBody), 401, "stale");

    byte[] staleLinear = Fixtures.linearIssueCreate(Instant.now().minus(Duration.ofMinutes(2)));
    assertProblem(post("/webhooks/linear", Fixtures.linear(LINEAR_SECRET, id.apply("stalelinear"), staleLinear), staleLinear),
        401, "stale");

    String marker = sendMarker("octo-org/refusals");
    try (TopicReader topic = reader("orca.webhooks.github")) {
      List<ConsumerRecord<String, byte[]>> records = topic.until(r -> TopicReader.contains(r, marker), WAIT);
      assertThat(refused).noneMatch(delivery -> TopicReader.contains(records, delivery));
    }
    assertThat(outboxRows("delivery_id LIKE 'unsigned-%' OR delivery_id LIKE 'wrong-%' OR delivery_id LIKE 'large-%'"
        + " OR delivery_id LIKE 'tampered-%' OR delivery_id LIKE 'notjson-%' OR delivery_id LIKE 'chunked-%'"
        + " OR delivery_id LIKE 'stalelinear-%'")).isZero();

    get("/actuator/health"); // observed as usual
    String metrics = get("/actuator/prometheus");
    for (String outcome : List.of("bad_signature", "malformed", "too_large", "stale", "published")) {
      assertThat(metrics).containsPattern("orca_ingest_webhooks_total\\{[^}]*outcome=\"" + outcome + "\"");
    }
    assertThat(metrics).contains("orca_ingest_publish_duration_seconds_bucket{");
    // Webhooks are observed by those metrics only, not also by the generic HTTP server observation.
    assertThat(metrics).contains("uri=\"/actuator/health\"").doesNotContain("uri=\"/webhooks/");
  }

  @Test
  void aDeliveryIsPublishedOnceHoweverOftenItArrives() throws Exception {
    String delivery = UUID.randomUUID().toString();
    byte[] body = Fixtures.githubIssueOpened("octo-org/duplicates", 9);
    Map<String, String> headers = Fixtures.github(GITHUB_SECRET, "issues", delivery, body);

    assertThat(post("/webhooks/github", headers, body).statusCode()).isEqualTo(200);
    HttpResponse<String> again = post("/webhooks/github", headers, body);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("\"outcome\":\"duplicate\"");

    // Ten at once (a redelivery racing itself): still one record.
    String racing = UUID.randomUUID().toString();
    Map<String, String> racingHeaders = Fixtures.github(GITHUB_SECRET, "issues", racing, body);
    List<CompletableFuture<HttpResponse<String>>> concurrent = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      concurrent.add(http.sendAsync(request("/webhooks/github", racingHeaders, HttpRequest.BodyPublishers.ofByteArray(body)),
          HttpResponse.BodyHandlers.ofString()));
    }
    List<String> outcomes = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : concurrent) {
      HttpResponse<String> r = f.get();
      assertThat(r.statusCode()).isEqualTo(200);
      outcomes.add(r.body().contains("\"published\"") ? "published" : "duplicate");
    }
    assertThat(outcomes).containsOnlyOnce("published");

    String marker = sendMarker("octo-org/duplicates");
    try (TopicReader topic = reader("orca.webhooks.github")) {
      topic.until(r -> TopicReader.contains(r, marker), WAIT);
      assertThat(topic.withId(delivery)).hasSize(1);
      assertThat(topic.withId(racing)).hasSize(1);
    }
  }

  /**
   * A replica that recorded a delivery and died before Kafka acknowledged it leaves a row without a
   * payload: once its lease ends, a redelivery is not a duplicate but is taken over and published;
   * while the lease runs (the send may still succeed), a redelivery is a duplicate.
   */
  @Test
  void aDeliveryRecordedButNeverAcknowledgedIsTakenOverByItsRedeliveryOnceTheLeaseEnds() throws Exception {
    String abandoned = UUID.randomUUID().toString();
    String inFlight = UUID.randomUUID().toString();
    recordWithoutPayload(abandoned, "now() - interval '1 second'");
    recordWithoutPayload(inFlight, "now() + interval '1 hour'");
    byte[] body = Fixtures.githubIssueOpened("octo-org/takeover", 3);

    HttpResponse<String> redelivered = post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", abandoned, body), body);
    assertThat(redelivered.statusCode()).isEqualTo(200);
    assertThat(redelivered.body()).contains("\"outcome\":\"published\"");
    HttpResponse<String> leased = post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", inFlight, body), body);
    assertThat(leased.statusCode()).isEqualTo(200);
    assertThat(leased.body()).contains("\"outcome\":\"duplicate\"");
    HttpResponse<String> again = post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", abandoned, body), body);
    assertThat(again.body()).contains("\"outcome\":\"duplicate\"");

    String marker = sendMarker("octo-org/takeover");
    try (TopicReader topic = reader("orca.webhooks.github")) {
      topic.until(r -> TopicReader.contains(r, marker), WAIT);
      assertThat(topic.withId(abandoned)).hasSize(1);
      assertThat(topic.withId(inFlight)).isEmpty();
    }
    assertThat(outboxRows("delivery_id = '" + abandoned + "'")).isEqualTo(1);
  }

  private static void recordWithoutPayload(String delivery, String relayAfter) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
         var statement = c.prepareStatement("INSERT INTO webhook_outbox (source, delivery_id, topic, record_key, relay_after)"
             + " VALUES ('github', ?, 'orca.webhooks.github', 'octo-org/takeover', " + relayAfter + ")")) {
      statement.setString(1, delivery);
      statement.executeUpdate();
    }
  }

  @Test
  void slackUrlVerificationIsAnsweredAndAMessageIsPublishedOnceDespiteRetries() throws Exception {
    byte[] challenge = Fixtures.payload("slack/url_verification.json");
    HttpResponse<String> answer = post("/webhooks/slack", Fixtures.slack(SLACK_SECRET, now(), challenge), challenge);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("{\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\"}");

    String eventId = "Ev" + UUID.randomUUID().toString().replace("-", "").substring(0, 10).toUpperCase();
    byte[] message = new String(Fixtures.payload("slack/event_callback.message.json"), StandardCharsets.UTF_8)
        .replace("Ev123ABC456", eventId).getBytes(StandardCharsets.UTF_8);
    assertThat(post("/webhooks/slack", Fixtures.slack(SLACK_SECRET, now(), message), message).statusCode()).isEqualTo(200);
    Map<String, String> retry = Fixtures.slack(SLACK_SECRET, now(), message);
    retry.put("X-Slack-Retry-Num", "1");
    retry.put("X-Slack-Retry-Reason", "http_timeout");
    HttpResponse<String> retried = post("/webhooks/slack", retry, message);
    assertThat(retried.statusCode()).isEqualTo(200);
    assertThat(retried.body()).contains("duplicate");

    try (TopicReader topic = reader("orca.webhooks.slack")) {
      ConsumerRecord<String, byte[]> record = topic.until(r -> TopicReader.contains(r, eventId), WAIT).stream()
          .filter(r -> eventId.equals(TopicReader.id(r))).findFirst().orElseThrow();
      assertThat(record.key()).isEqualTo("T123ABC456/C123ABC456");
      assertThat(TopicReader.header(record, "ce_type")).isEqualTo("com.slack.message");
      assertThat(TopicReader.header(record, "ce_source")).isEqualTo("urn:slack:team:T123ABC456");
      assertThat(record.value()).isEqualTo(message);
      assertThat(topic.withId(eventId)).hasSize(1);
    }
  }

  @Test
  void linearIssueCreateIsPublishedWithTheDeliveryHeaderOrAStableHash() throws Exception {
    String delivery = UUID.randomUUID().toString();
    byte[] body = Fixtures.linearIssueCreate(Instant.now());
    assertThat(post("/webhooks/linear", Fixtures.linear(LINEAR_SECRET, delivery, body), body).statusCode()).isEqualTo(200);

    // Without Linear-Delivery: a hash of type, action, data id and createdAt; a retry (new timestamp) hashes alike.
    String otherIssue = new String(Fixtures.linearIssueCreate(Instant.now()), StandardCharsets.UTF_8)
        .replace("9f8a61cd-d8ad-4e8b-96ae-37ce37b5d14a", UUID.randomUUID().toString());
    byte[] first = otherIssue.getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> hashed = post("/webhooks/linear", Fixtures.linear(LINEAR_SECRET, null, first), first);
    assertThat(hashed.statusCode()).isEqualTo(200);
    assertThat(hashed.body()).contains("\"deliveryId\":\"sha256:");
    byte[] retry = otherIssue.replaceFirst("\"webhookTimestamp\": \\d+", "\"webhookTimestamp\": " + (Instant.now().toEpochMilli() + 1))
        .getBytes(StandardCharsets.UTF_8);
    assertThat(post("/webhooks/linear", Fixtures.linear(LINEAR_SECRET, null, retry), retry).body()).contains("duplicate");

    try (TopicReader topic = reader("orca.webhooks.linear")) {
      ConsumerRecord<String, byte[]> record = topic.until(r -> TopicReader.contains(r, delivery), WAIT).stream()
          .filter(r -> delivery.equals(TopicReader.id(r))).findFirst().orElseThrow();
      assertThat(record.key()).isEqualTo("72b2a2dc-6f4f-4423-9d34-24b5bd10634a");
      assertThat(TopicReader.header(record, "ce_type")).isEqualTo("com.linear.Issue.create");
      assertThat(TopicReader.header(record, "ce_source")).isEqualTo("urn:linear:team:72b2a2dc-6f4f-4423-9d34-24b5bd10634a");
      assertThat(TopicReader.header(record, "ce_subject")).isEqualTo("ENG-11");
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Publishes a webhook on the repository's key; once it is read, anything sent before it on that key was too. */
  private String sendMarker(String repository) throws Exception {
    String marker = "marker-" + UUID.randomUUID();
    byte[] body = Fixtures.githubIssueOpened(repository, 1000);
    assertThat(post("/webhooks/github", Fixtures.github(GITHUB_SECRET, "issues", marker, body), body).statusCode()).isEqualTo(200);
    return marker;
  }

  private static void assertProblem(HttpResponse<String> response, int status, String outcome) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
    assertThat(response.body()).contains("\"outcome\":\"" + outcome + "\"").contains("\"detail\"").doesNotContain("Exception");
  }

  private TopicReader reader(String topic) {
    return new TopicReader(TestKafka.get().bootstrapServers(), topic);
  }

  private static long now() {
    return Instant.now().getEpochSecond();
  }

  private HttpRequest request(String path, Map<String, String> headers, HttpRequest.BodyPublisher body) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(body);
    headers.forEach(builder::header);
    return builder.build();
  }

  private HttpResponse<String> post(String path, Map<String, String> headers, byte[] body) throws IOException, InterruptedException {
    return http.send(request(path, headers, HttpRequest.BodyPublishers.ofByteArray(body)), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> postChunked(String path, Map<String, String> headers, byte[] body)
      throws IOException, InterruptedException {
    return http.send(request(path, headers, HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))),
        HttpResponse.BodyHandlers.ofString());
  }

  private String get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  private static boolean published(String source, String delivery) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
         var statement = c.prepareStatement("SELECT published_at IS NOT NULL FROM webhook_outbox WHERE source = ? AND delivery_id = ?")) {
      statement.setString(1, source);
      statement.setString(2, delivery);
      try (ResultSet rs = statement.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static long outboxRows(String where) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM webhook_outbox WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}

package dev.orca.ingest;

import static dev.orca.ingest.Fixtures.GITHUB_SECRET;
import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.StoppableKafka;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The broker is stopped in the middle of a burst of GitHub webhooks and started again: every webhook
 * is answered 200 or 202, and afterwards each is on the topic exactly once, in the order it was sent
 * within its repository; a delivery recorded by a replica that died before sending it holds nothing
 * up. Runs its own broker (a separate JVM it can stop), not the shared one.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class KafkaOutageIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("ingest_outage"));
  static final StoppableKafka kafka = StoppableKafka.create();
  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  static final int REPOSITORIES = 4;
  static final int PER_PHASE = 10;

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    registry.add("orca.kafka.bootstrap-servers", kafka::bootstrapServers);
    registry.add("orca.ingest.github.secrets", () -> GITHUB_SECRET);
    registry.add("orca.ingest.publish-timeout", () -> "1500ms");
    registry.add("orca.ingest.relay-poll-interval", () -> "500ms");
  }

  @AfterAll
  static void stopBroker() {
    kafka.close();
  }

  @LocalServerPort int port;

  private final Map<String, List<String>> sent = new ConcurrentHashMap<>();
  private final List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
  private final ExecutorService senders = Executors.newFixedThreadPool(REPOSITORIES);

  @Test
  void kafkaStoppedMidBurstLosesNothingDuplicatesNothingAndKeepsOrderPerRepository() throws Exception {
    // A delivery a dead replica recorded and never sent: older than everything, and it holds up nothing.
    abandonedDelivery(repository(0));
    phase(0).get(120, TimeUnit.SECONDS);

    CompletableFuture<Void> during = phase(1);
    kafka.stop(); // while phase 1 is being sent
    during.get(180, TimeUnit.SECONDS);
    phase(2).get(180, TimeUnit.SECONDS); // still down
    kafka.start();
    phase(3).get(180, TimeUnit.SECONDS);
    senders.shutdown();

    assertThat(statuses).hasSize(REPOSITORIES * PER_PHASE * 4).allMatch(s -> s == 200 || s == 202);
    assertThat(statuses).as("some webhooks were queued while Kafka was down").contains(202);

    // A marker per repository, sent last: once it is read, everything before it on that key is too.
    List<String> markers = new ArrayList<>();
    for (int r = 0; r < REPOSITORIES; r++) {
      markers.add(send(r, "marker"));
    }
    try (TopicReader topic = new TopicReader(kafka.bootstrapServers(), "orca.webhooks.github")) {
      List<ConsumerRecord<String, byte[]>> records = topic.until(
          read -> markers.stream().allMatch(m -> TopicReader.contains(read, m)), Duration.ofSeconds(180));
      for (int r = 0; r < REPOSITORIES; r++) {
        String key = repository(r);
        List<String> onTopic = records.stream().filter(rec -> key.equals(rec.key())).map(TopicReader::id).toList();
        List<String> expected = new ArrayList<>(sent.get(key));
        assertThat(onTopic).as("records of %s, in order, each once", key).containsExactlyElementsOf(expected);
      }
    }
    // Rows are marked published after the answer, in the background: give the last marks time to land.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (count("published_at IS NULL") > 1 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(count("published_at IS NULL AND payload IS NOT NULL")).as("queued rows left").isZero();
    assertThat(count("published_at IS NULL")).as("only the abandoned delivery is unpublished").isEqualTo(1);
  }

  private static void abandonedDelivery(String key) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
         var statement = c.prepareStatement("INSERT INTO webhook_outbox (source, delivery_id, topic, record_key, relay_after)"
             + " VALUES ('github', 'abandoned', 'orca.webhooks.github', ?, now() - interval '1 second')")) {
      statement.setString(1, key);
      statement.executeUpdate();
    }
  }

  /** Sends {@value #PER_PHASE} webhooks per repository, repositories in parallel, each one after the other. */
  private CompletableFuture<Void> phase(int phase) {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int r = 0; r < REPOSITORIES; r++) {
      int repository = r;
      all.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; i < PER_PHASE; i++) {
          send(repository, "p" + phase + "-" + i);
        }
      }, senders));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  private String send(int repository, String name) {
    String key = repository(repository);
    String delivery = key.replace('/', '-') + "-" + name;
    byte[] body = Fixtures.githubIssueOpened(key, sent.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).size() + 1);
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/webhooks/github"))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    Fixtures.github(GITHUB_SECRET, "issues", delivery, body).forEach(request::header);
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      statuses.add(response.statusCode());
      if (response.statusCode() == 200 || response.statusCode() == 202) {
        sent.get(key).add(delivery);
      }
      return delivery;
    } catch (Exception e) {
      throw new IllegalStateException("sending " + delivery + " failed", e);
    }
  }

  private static String repository(int r) {
    return "outage-org/repo-" + r;
  }

  private static long count(String where) throws Exception {
    try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
         ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM webhook_outbox WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}

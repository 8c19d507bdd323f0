package dev.orca.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the launcher's Java entry point against the real service jars: everything becomes ready, answers health and
 * Prometheus, stops releasing every port, and PostgreSQL keeps its rows across a restart.
 */
class LocalStackIT {
  private static final Path REPO = Path.of(System.getProperty("basedir", "deploy/local")).resolve("../..").toAbsolutePath().normalize();
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path home;

  @Test
  void startsEverythingServesHealthAndMetricsStopsCleanlyAndKeepsData() throws Exception {
    requireServiceJars();
    LocalStackConfig config = LocalStackConfig.fromEnv(env(), REPO);
    AtomicBoolean died = new AtomicBoolean();

    long begin = System.nanoTime();
    try (LocalStack stack = LocalStack.start(config, System.out, () -> died.set(true))) {
      System.out.printf("LocalStackIT: ready in %.1f s%n", (System.nanoTime() - begin) / 1e9);
      for (ServiceSpec service : config.services()) {
        HttpResponse<String> health = get(service.url() + "/actuator/health");
        assertThat(health.statusCode()).as(service.name() + " health").isEqualTo(200);
        assertThat(health.body()).as(service.name() + " health").contains("\"status\":\"UP\"");

        HttpResponse<String> metrics = get(service.url() + "/actuator/prometheus");
        assertThat(metrics.statusCode()).as(service.name() + " prometheus").isEqualTo(200);
        assertThat(metrics.body()).as(service.name() + " prometheus").contains("# HELP ").contains("# TYPE ");
      }
      runTheSampleWorkflow(config);
      aSignedWebhookStartsTheSubscribedWorkflow(config);
      try (Connection c = connect(config); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE local_stack_it (note text)");
        s.execute("INSERT INTO local_stack_it VALUES ('kept')");
      }
    }
    assertThat(died).as("no service died during the test").isFalse();
    for (int port : ports(config)) {
      assertThat(Ports.isFree(port)).as("port " + port + " released").isTrue();
    }

    try (LocalPostgres restarted = LocalPostgres.start(config.home(), config.postgresPort(), config.dbUser(), config.dbPassword());
        Connection c = connect(config);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT note FROM local_stack_it")) {
      assertThat(rs.next()).as("the row written before the restart").isTrue();
      assertThat(rs.getString(1)).isEqualTo("kept");
    }
    assertThat(Ports.isFree(config.postgresPort())).isTrue();
  }

  /**
   * The README's first workflow, through the real stack: orchestrator → gateway's builtin tools, with the
   * API token the launcher made.
   */
  private void runTheSampleWorkflow(LocalStackConfig config) throws Exception {
    String token = Files.readString(home.resolve("api-token")).strip();
    String orchestrator = config.services().stream().filter(s -> s.name().equals("orchestrator")).findFirst().orElseThrow().url();
    HttpResponse<String> created = send(orchestrator + "/api/v1/workflows", token,
        Files.readString(REPO.resolve("deploy/local/workflows/hello-orca.json")));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    HttpResponse<String> started = send(orchestrator + "/api/v1/workflows/hello-orca/executions", token,
        "{\"input\": {\"who\": \"Orca\"}}");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    String id = JSON.readTree(started.body()).path("id").asString();

    JsonNode execution = null;
    for (int i = 0; i < 600 && (execution == null || List.of("pending", "running").contains(execution.path("status").asString())); i++) {
      Thread.sleep(100);
      execution = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(orchestrator + "/api/v1/executions/" + id))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body());
    }
    assertThat(execution.path("status").asString()).as(execution.toString()).isEqualTo("completed");
    assertThat(execution.path("output").path("card").path("result").path("to").asString()).isEqualTo("ORCA");
    assertThat(execution.path("output").path("card").path("result").path("said").asString()).isEqualTo("Hello, Orca!");
    assertThat(execution.path("steps").get(2).path("status").asString()).as("pause only when input.slow").isEqualTo("skipped");
  }

  /**
   * The README's first webhook: a subscription, then {@code deploy/local/send-github-webhook} signs the sample
   * GitHub issues.opened event with the secret the launcher made and sends it to event-ingest; through Kafka
   * the orchestrator's triggers start hello-orca for it, and it completes.
   */
  private void aSignedWebhookStartsTheSubscribedWorkflow(LocalStackConfig config) throws Exception {
    String token = Files.readString(home.resolve("api-token")).strip();
    String orchestrator = url(config, "orchestrator");
    HttpResponse<String> subscribed = send(orchestrator + "/api/v1/subscriptions", token,
        Files.readString(REPO.resolve("deploy/local/subscriptions/hello-orca-on-new-issue.json")));
    assertThat(subscribed.statusCode()).as(subscribed.body()).isEqualTo(201);

    ProcessBuilder script = new ProcessBuilder(REPO.resolve("deploy/local/send-github-webhook").toString())
        .redirectErrorStream(true);
    script.environment().put("ORCA_HOME", home.toString());
    script.environment().put("ORCA_INGEST_PORT", Integer.toString(port(config, "event-ingest")));
    script.environment().remove("ORCA_INGEST_GITHUB_SECRETS");
    Process sending = script.start();
    String said = new String(sending.getInputStream().readAllBytes());
    assertThat(sending.waitFor()).as(said).isZero();
    assertThat(said).as("event-ingest accepted the signed webhook").containsPattern("HTTP 20[02]");

    JsonNode execution = null;
    for (int i = 0; i < 600 && (execution == null || !execution.path("status").asString().equals("completed")); i++) {
      Thread.sleep(100);
      JsonNode page = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(orchestrator
              + "/api/v1/executions?workflow=hello-orca&limit=10")).header("Authorization", "Bearer " + token).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      execution = null;
      for (JsonNode item : page.path("items")) {
        if (item.path("triggeredBy").asString().equals("event")) {
          execution = item;
        }
      }
    }
    assertThat(execution).as("an execution started by the webhook").isNotNull();
    assertThat(execution.path("status").asString()).as(execution.toString()).isEqualTo("completed");
    assertThat(execution.path("input").path("who").asString()).as("mapped from payload.sender.login").isEqualTo("Codertocat");
    assertThat(execution.path("output").path("card").path("result").path("to").asString()).isEqualTo("CODERTOCAT");
  }

  private static String url(LocalStackConfig config, String service) {
    return config.services().stream().filter(s -> s.name().equals(service)).findFirst().orElseThrow().url();
  }

  private static int port(LocalStackConfig config, String service) {
    return config.services().stream().filter(s -> s.name().equals(service)).findFirst().orElseThrow().port();
  }

  private static HttpResponse<String> send(String url, String token, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("ORCA_HOME", home.toString());
    java.util.Set<Integer> chosen = new java.util.HashSet<>();
    for (String variable : List.of("ORCA_LOCAL_PG_PORT", "ORCA_LOCAL_KAFKA_PORT", "ORCA_ORCHESTRATOR_PORT",
        "ORCA_GATEWAY_PORT", "ORCA_INGEST_PORT")) {
      env.put(variable, Integer.toString(portBelowEphemeralRange(chosen)));
    }
    env.put("ORCA_START_TIMEOUT_SECONDS", "150");
    // Quicker start-up on a 2-core CI runner; the services stay idle during the test.
    env.put("ORCA_LOCAL_JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k");
    return env;
  }

  /**
   * A free port below Linux's ephemeral range (32768 and up). A port from {@code new ServerSocket(0)} can be
   * taken before our server binds it by anything binding port 0 meanwhile, such as the embedded broker's own
   * listeners, which start at the same time as PostgreSQL (seen in CI: PostgreSQL then failed to bind).
   */
  private static int portBelowEphemeralRange(java.util.Set<Integer> chosen) {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; attempt < 500; attempt++) {
      int port = 20_000 + random.nextInt(12_000);
      if (chosen.add(port) && Ports.isFree(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port between 20000 and 32000");
  }

  private static void requireServiceJars() {
    List<Path> missing = LocalStackConfig.fromEnv(Map.of(), REPO).services().stream()
        .map(s -> s.jar(REPO))
        .filter(jar -> !Files.isRegularFile(jar))
        .toList();
    if (!missing.isEmpty()) {
      fail("LocalStackIT needs the service jars " + missing
          + ": build them first (./mvnw -DskipTests package, or run the whole reactor, which lists deploy/local last)");
    }
  }

  private static List<Integer> ports(LocalStackConfig config) {
    List<Integer> ports = new java.util.ArrayList<>(List.of(config.postgresPort(), config.kafkaPort()));
    config.services().forEach(s -> ports.add(s.port()));
    return ports;
  }

  private static Connection connect(LocalStackConfig config) throws SQLException {
    return DriverManager.getConnection("jdbc:" + config.dbUrl(), config.dbUser(), config.dbPassword());
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

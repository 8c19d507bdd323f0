package dev.orca.orchestrator.execution;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The orchestrator's HTTP API as the engine tests use it. */
final class OrcaApiClient {
  static final String TOKEN = "test-token";
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Set<String> FINISHED = Set.of("completed", "failed", "cancelled");

  private final WebTestClient client;

  OrcaApiClient(int port) {
    this.client = WebTestClient.bindToServer()
        .baseUrl("http://localhost:" + port)
        .defaultHeader("Authorization", "Bearer " + TOKEN)
        .responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  WebTestClient http() {
    return client;
  }

  /** JSON with single quotes for readability. */
  static JsonNode json(String singleQuoted) {
    return JSON.readTree(singleQuoted.replace('\'', '"'));
  }

  void createWorkflow(String name, JsonNode definition) {
    client.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(JSON.writeValueAsString(JSON.createObjectNode().put("name", name).set("definition", definition)))
        .exchange().expectStatus().isCreated();
  }

  void updateWorkflow(String name, JsonNode definition) {
    client.put().uri("/api/v1/workflows/" + name).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(JSON.writeValueAsString(JSON.createObjectNode().set("definition", definition)))
        .exchange().expectStatus().isOk();
  }

  JsonNode start(String workflow, JsonNode input) {
    return start(workflow, input, null, HttpStatus.ACCEPTED);
  }

  JsonNode start(String workflow, JsonNode input, String idempotencyKey, HttpStatus expected) {
    var request = client.post().uri("/api/v1/workflows/" + workflow + "/executions").contentType(MediaType.APPLICATION_JSON);
    if (idempotencyKey != null) {
      request = request.header("Idempotency-Key", idempotencyKey);
    }
    byte[] body = request.bodyValue(JSON.writeValueAsString(JSON.createObjectNode().set("input", input)))
        .exchange().expectStatus().isEqualTo(expected)
        .expectBody().returnResult().getResponseBody();
    return JSON.readTree(body);
  }

  JsonNode get(String executionId) {
    byte[] body = client.get().uri("/api/v1/executions/" + executionId).exchange()
        .expectStatus().isOk().expectBody().returnResult().getResponseBody();
    return JSON.readTree(body);
  }

  /** Waits until the execution has finished, and returns it. */
  JsonNode awaitFinished(String executionId) {
    JsonNode[] last = new JsonNode[1];
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> FINISHED.contains((last[0] = get(executionId)).path("status").asString()));
    return last[0];
  }

  /** Waits until step {@code index} of the execution is running. */
  void awaitStepRunning(String executionId, int index) {
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> "running".equals(get(executionId).path("steps").path(index).path("status").asString()));
  }
}

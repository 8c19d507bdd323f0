package dev.orca.orchestrator.agent;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/** The orchestrator's HTTP API as the agent tests use it: registry, workflows, executions. */
final class AgentApi {
  static final String TOKEN = "agent-test-token";
  private static final Set<String> FINISHED = Set.of("completed", "failed", "cancelled");

  private final WebTestClient client;

  AgentApi(int port) {
    this(port, TOKEN);
  }

  AgentApi(int port, String token) {
    this.client = WebTestClient.bindToServer()
        .baseUrl("http://localhost:" + port)
        .defaultHeader("Authorization", "Bearer " + token)
        .responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  /** JSON with single quotes for readability. */
  static JsonNode json(String singleQuoted) {
    return LocalHttpServer.JSON.readTree(singleQuoted.replace('\'', '"'));
  }

  WebTestClient http() {
    return client;
  }

  /** Sends {@code body} and expects {@code status}; returns the answer's JSON (null when empty). */
  JsonNode send(String method, String uri, JsonNode body, HttpStatus status) {
    var request = client.method(org.springframework.http.HttpMethod.valueOf(method)).uri(uri);
    var exchange = body == null ? request.exchange()
        : request.contentType(MediaType.APPLICATION_JSON).bodyValue(LocalHttpServer.JSON.writeValueAsString(body)).exchange();
    byte[] answer = exchange.expectStatus().isEqualTo(status).expectBody().returnResult().getResponseBody();
    return answer == null || answer.length == 0 ? null : LocalHttpServer.JSON.readTree(answer);
  }

  JsonNode get(String uri) {
    return send("GET", uri, null, HttpStatus.OK);
  }

  void workflow(String name, JsonNode definition) {
    send("POST", "/api/v1/workflows", LocalHttpServer.JSON.createObjectNode().put("name", name).set("definition", definition),
        HttpStatus.CREATED);
  }

  String start(String workflow, JsonNode input) {
    return send("POST", "/api/v1/workflows/" + workflow + "/executions",
        LocalHttpServer.JSON.createObjectNode().set("input", input), HttpStatus.ACCEPTED).path("id").asString();
  }

  JsonNode awaitFinished(String executionId) {
    JsonNode[] last = new JsonNode[1];
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> FINISHED.contains((last[0] = get("/api/v1/executions/" + executionId)).path("status").asString()));
    return last[0];
  }
}

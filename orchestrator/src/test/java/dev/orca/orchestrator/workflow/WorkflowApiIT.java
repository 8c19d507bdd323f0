package dev.orca.orchestrator.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "orca.api.tokens=test-token")
class WorkflowApiIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("workflow_api");
  static final JsonMapper JSON = JsonMapper.builder().build();

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
  }

  @LocalServerPort int port;
  WebTestClient http;

  @BeforeEach
  void client() {
    http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer test-token")
        .build();
  }

  static JsonNode fixture(String file) {
    try (InputStream in = WorkflowApiIT.class.getResourceAsStream("/workflows/" + file)) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode createBody(String name, String definitionFile) {
    ObjectNode body = JSON.createObjectNode();
    body.put("name", name);
    body.put("description", "Triage " + name);
    body.set("definition", fixture(definitionFile));
    return body;
  }

  JsonNode post(ObjectNode body) {
    return JSON.readTree(http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body.toString()).exchange()
        .expectStatus().isCreated()
        .expectBody(String.class).returnResult().getResponseBody());
  }

  JsonNode get(String uri, int status) {
    return JSON.readTree(http.get().uri(uri).exchange().expectStatus().isEqualTo(status)
        .expectBody(String.class).returnResult().getResponseBody());
  }

  @Test
  void createsAndReadsAWorkflow() throws Exception {
    JsonNode created = JSON.readTree(http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(createBody("triage", "design-example.json").toString()).exchange()
        .expectStatus().isCreated()
        .expectHeader().location("/api/v1/workflows/triage")
        .expectBody(String.class).returnResult().getResponseBody());
    assertThat(created.get("id").asString()).hasSize(36);
    assertThat(created.get("name").asString()).isEqualTo("triage");
    assertThat(created.get("description").asString()).isEqualTo("Triage triage");
    assertThat(created.get("version").asInt()).isEqualTo(1);
    assertThat(created.get("enabled").asBoolean()).isTrue();
    assertThat(created.get("definition")).isEqualTo(fixture("design-example.json"));
    assertThat(created.get("createdAt").asString()).isNotBlank();
    assertThat(created.get("updatedAt").asString()).isNotBlank();

    assertThat(get("/api/v1/workflows/triage", 200)).isEqualTo(created);
    JsonNode v1 = get("/api/v1/workflows/triage/versions/1", 200);
    assertThat(v1.get("version").asInt()).isEqualTo(1);
    assertThat(v1.get("workflowId")).isEqualTo(created.get("id"));
    assertThat(v1.get("definition")).isEqualTo(fixture("design-example.json"));

    try (Connection c = db.connect();
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM workflow_versions v JOIN workflows w ON w.id = v.workflow_id WHERE w.name = 'triage'")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void putMakesANewVersionAndKeepsTheOldOneReadable() {
    JsonNode created = post(createBody("versioned", "seed-004.json"));
    ObjectNode update = JSON.createObjectNode();
    update.set("definition", fixture("triage-v2.json"));
    update.put("enabled", true);
    JsonNode updated = JSON.readTree(http.put().uri("/api/v1/workflows/versioned").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(update.toString()).exchange()
        .expectStatus().isOk()
        .expectBody(String.class).returnResult().getResponseBody());
    assertThat(updated.get("id")).isEqualTo(created.get("id"));
    assertThat(updated.get("version").asInt()).isEqualTo(2);
    assertThat(updated.get("definition")).isEqualTo(fixture("triage-v2.json"));
    assertThat(updated.get("description").asString()).isEqualTo("Triage versioned"); // absent: kept

    assertThat(get("/api/v1/workflows/versioned", 200).get("version").asInt()).isEqualTo(2);
    assertThat(get("/api/v1/workflows/versioned/versions/1", 200).get("definition")).isEqualTo(fixture("seed-004.json"));
    assertThat(get("/api/v1/workflows/versioned/versions/2", 200).get("definition")).isEqualTo(fixture("triage-v2.json"));
    assertThat(get("/api/v1/workflows/versioned/versions/3", 404).get("detail").asString())
        .isEqualTo("Workflow 'versioned' has no version 3.");

    update.putNull("description");
    JsonNode v3 = JSON.readTree(http.put().uri("/api/v1/workflows/versioned").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(update.toString()).exchange().expectStatus().isOk()
        .expectBody(String.class).returnResult().getResponseBody());
    assertThat(v3.get("version").asInt()).isEqualTo(3);
    assertThat(v3.get("description").isNull()).isTrue();
  }

  @Test
  void putOnAnUnknownWorkflowIs404() {
    ObjectNode update = JSON.createObjectNode();
    update.set("definition", fixture("seed-004.json"));
    http.put().uri("/api/v1/workflows/nobody-here").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(update.toString()).exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.detail").isEqualTo("There is no workflow named 'nobody-here'.");
  }

  @Test
  void deleteDisablesIdempotently() {
    post(createBody("to-disable", "seed-004.json"));
    http.delete().uri("/api/v1/workflows/to-disable").exchange().expectStatus().isNoContent();
    http.delete().uri("/api/v1/workflows/to-disable").exchange().expectStatus().isNoContent();
    JsonNode after = get("/api/v1/workflows/to-disable", 200);
    assertThat(after.get("enabled").asBoolean()).isFalse();
    assertThat(after.get("version").asInt()).isEqualTo(1);
    http.delete().uri("/api/v1/workflows/never-existed").exchange().expectStatus().isNotFound();
  }

  @Test
  void aDuplicateNameIs409() {
    post(createBody("dup", "seed-004.json"));
    http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(createBody("dup", "design-example.json").toString()).exchange()
        .expectStatus().isEqualTo(409)
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.status").isEqualTo(409)
        .jsonPath("$.title").isEqualTo("Workflow already exists")
        .jsonPath("$.detail").value(String.class, d -> assertThat(d).contains("'dup'"));
    assertThat(get("/api/v1/workflows/dup", 200).get("definition")).isEqualTo(fixture("seed-004.json"));
  }

  @Test
  void anUnknownWorkflowIs404() {
    http.get().uri("/api/v1/workflows/does-not-exist").exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.title").isEqualTo("Workflow not found")
        .jsonPath("$.detail").isEqualTo("There is no workflow named 'does-not-exist'.");
  }

  @Test
  void anInvalidDefinitionIs400ListingEveryProblem() {
    ObjectNode body = createBody("Bad Name", "invalid-every-kind.json");
    JsonNode problem = JSON.readTree(http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body.toString()).exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody(String.class).returnResult().getResponseBody());
    List<String> pointers = new ArrayList<>();
    problem.get("errors").forEach(e -> {
      pointers.add(e.get("pointer").asString());
      assertThat(e.get("message").asString()).isNotBlank();
    });
    assertThat(pointers).containsExactly("/name", "/definition/steps/0/tol", "/definition/steps/1/name",
        "/definition/steps/1/params/who", "/definition/steps/1/assign", "/definition/steps/2/retry/maxRetries",
        "/definition/steps/2/when", "/definition/steps/2/retry/maxDelayMs");
    assertThat(problem.get("status").asInt()).isEqualTo(400);
    assertThat(problem.get("detail").asString()).startsWith("8 problems in the request: /name: a workflow name is");
    http.get().uri("/api/v1/workflows/Bad Name").exchange().expectStatus().isNotFound();

    ObjectNode definitionOnly = createBody("still-bad", "invalid-every-kind.json");
    http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(definitionOnly.toString()).exchange()
        .expectStatus().isBadRequest()
        .expectBody()
        .jsonPath("$.title").isEqualTo("Invalid workflow definition")
        .jsonPath("$.detail").value(String.class, d -> assertThat(d).startsWith("7 problems in the definition: "
            + "/definition/steps/0/tol: unknown property 'tol' (did you mean 'tool'?)"))
        .jsonPath("$.errors.length()").isEqualTo(7);
  }

  @Test
  void aMissingDefinitionAndUnknownFieldsAreListedToo() {
    http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"name\": \"ok-name\", \"defintion\": {}}").exchange()
        .expectStatus().isBadRequest()
        .expectBody()
        .jsonPath("$.errors[0].pointer").isEqualTo("/defintion")
        .jsonPath("$.errors[1].pointer").isEqualTo("/definition")
        .jsonPath("$.errors[1].message").isEqualTo("'definition' is required");
  }

  @Test
  void malformedJsonIs400NamingTheProblem() {
    http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"name\": \"x\", \"definition\": {\"steps\": [}").exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.title").isEqualTo("Unreadable request")
        .jsonPath("$.detail").value(String.class, d -> assertThat(d)
            .startsWith("The body is not valid JSON at line 1, column ")
            .contains("Unexpected close marker '}'")
            .doesNotContain("at tools.jackson"));
    http.post().uri("/api/v1/workflows").contentType(MediaType.APPLICATION_JSON).exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody().jsonPath("$.detail").isEqualTo("A JSON request body is required.");
  }

  @Test
  void listsPageByPageWithAnOpaqueCursor() {
    for (String name : new String[] {"list-c", "list-a", "list-e", "list-b", "list-d"}) {
      post(createBody(name, "seed-004.json"));
    }
    http.delete().uri("/api/v1/workflows/list-d").exchange().expectStatus().isNoContent();

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page = get("/api/v1/workflows?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), 200);
      page.get("items").forEach(w -> seen.add(w.get("name").asString()));
      assertThat(page.get("items").size()).isLessThanOrEqualTo(2);
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asString();
      pages++;
    } while (cursor != null && pages < 50);
    List<String> listed = seen.stream().filter(n -> n.startsWith("list-")).toList();
    assertThat(listed).containsExactly("list-a", "list-b", "list-c", "list-d", "list-e");
    assertThat(seen).isSorted();

    JsonNode disabled = get("/api/v1/workflows?enabled=false&limit=200", 200);
    List<String> disabledNames = new ArrayList<>();
    disabled.get("items").forEach(w -> disabledNames.add(w.get("name").asString()));
    assertThat(disabledNames).contains("list-d").doesNotContain("list-a", "list-e");
    assertThat(disabled.get("nextCursor").isNull()).isTrue();

    http.get().uri("/api/v1/workflows?limit=0").exchange().expectStatus().isBadRequest()
        .expectBody().jsonPath("$.detail").isEqualTo("'limit' is an integer within 1..200; got '0'");
    http.get().uri("/api/v1/workflows?limit=201").exchange().expectStatus().isBadRequest();
    http.get().uri("/api/v1/workflows?cursor=!!!").exchange().expectStatus().isBadRequest()
        .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);
    http.get().uri("/api/v1/workflows?enabled=maybe").exchange().expectStatus().isBadRequest();
  }

  @Test
  void theApiNeedsAToken() {
    WebTestClient.bindToServer().baseUrl("http://localhost:" + port).build()
        .get().uri("/api/v1/workflows").exchange()
        .expectStatus().isUnauthorized();
  }
}

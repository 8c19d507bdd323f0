package dev.orca.orchestrator.trigger;

import static dev.orca.orchestrator.trigger.WebhookRecords.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code /api/v1/subscriptions} and {@code /api/v1/repositories}: CRUD, pagination and every validation error as problem+json. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"orca.api.tokens=test-token", "orca.triggers.enabled=false", "orca.engine.enabled=false"})
class TriggerApiIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("trigger_api");

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

  @Test
  void subscriptionsAreCreatedReadReplacedListedAndDeleted() {
    workflow("notify");
    workflow("notify-v2");
    ObjectNode body = JSON.createObjectNode().put("name", "issues-to-notify").put("source", "github")
        .put("eventTypePattern", "com.github.issues.*").put("filterExpression", "payload.action == 'opened'")
        .put("workflow", "notify");
    body.putObject("inputMapping").put("issue_number", "${payload.issue.number}");
    JsonNode created = call(HttpMethod.POST, "/api/v1/subscriptions", body, 201);
    assertThat(created.path("id").asString()).hasSize(36);
    assertThat(created.path("workflow").asString()).isEqualTo("notify");
    assertThat(created.path("enabled").asBoolean()).isTrue();
    assertThat(created.path("inputMapping")).isEqualTo(body.get("inputMapping"));
    assertThat(call(HttpMethod.GET, "/api/v1/subscriptions/issues-to-notify", null, 200)).isEqualTo(created);

    JsonNode duplicate = call(HttpMethod.POST, "/api/v1/subscriptions", body, 409);
    assertThat(duplicate.path("detail").asString()).contains("PUT /api/v1/subscriptions/issues-to-notify");

    ObjectNode replacement = JSON.createObjectNode().put("source", "github").put("eventTypePattern", "com.github.*")
        .put("workflow", "notify-v2").put("enabled", false);
    JsonNode replaced = call(HttpMethod.PUT, "/api/v1/subscriptions/issues-to-notify", replacement, 200);
    assertThat(replaced.path("workflow").asString()).isEqualTo("notify-v2");
    assertThat(replaced.path("filterExpression").isNull()).isTrue();
    assertThat(replaced.path("inputMapping")).isEqualTo(JSON.createObjectNode());
    assertThat(replaced.path("enabled").asBoolean()).isFalse();

    for (String name : List.of("b-sub", "c-sub", "d-sub")) {
      call(HttpMethod.POST, "/api/v1/subscriptions", JSON.createObjectNode().put("name", name).put("source", "slack")
          .put("eventTypePattern", "com.slack.message").put("workflow", "notify"), 201);
    }
    List<String> names = new ArrayList<>();
    String cursor = null;
    do {
      JsonNode page = call(HttpMethod.GET, "/api/v1/subscriptions?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), null, 200);
      page.path("items").forEach(item -> names.add(item.path("name").asString()));
      cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asString();
    } while (cursor != null);
    assertThat(names).containsExactly("b-sub", "c-sub", "d-sub", "issues-to-notify");

    http.delete().uri("/api/v1/subscriptions/b-sub").exchange().expectStatus().isNoContent();
    call(HttpMethod.GET, "/api/v1/subscriptions/b-sub", null, 404);
    call(HttpMethod.DELETE, "/api/v1/subscriptions/b-sub", null, 404);
  }

  @Test
  void anInvalidSubscriptionListsEveryProblem() {
    ObjectNode body = JSON.createObjectNode().put("name", "Bad Name").put("source", "gitlab")
        .put("eventTypePattern", "com.github.issues.(opened)").put("filterExpression", "payload.action ==")
        .put("workflow", "notify").put("enabled", "yes").put("color", "red");
    body.putObject("inputMapping").put("n", "${issue.number}").put("m", "${payload.issue");
    JsonNode problem = call(HttpMethod.POST, "/api/v1/subscriptions", body, 400);
    assertThat(problem.path("title").asString()).isEqualTo("Invalid subscription");
    assertThat(pointers(problem)).containsExactlyInAnyOrder("/name", "/source", "/eventTypePattern", "/filterExpression",
        "/enabled", "/color", "/inputMapping/n", "/inputMapping/m");
    assertThat(message(problem, "/inputMapping/n")).contains("unknown root 'issue'").contains("event, payload, repo");

    JsonNode wrongSource = call(HttpMethod.POST, "/api/v1/subscriptions", JSON.createObjectNode().put("name", "x")
        .put("source", "linear").put("eventTypePattern", "com.github.*").put("workflow", "notify"), 400);
    assertThat(message(wrongSource, "/eventTypePattern")).contains("never matches a linear event");

    JsonNode noWorkflow = call(HttpMethod.POST, "/api/v1/subscriptions", JSON.createObjectNode().put("name", "x")
        .put("source", "github").put("eventTypePattern", "*").put("workflow", "no-such-workflow"), 400);
    assertThat(message(noWorkflow, "/workflow")).contains("no workflow named 'no-such-workflow'");

    JsonNode missing = call(HttpMethod.POST, "/api/v1/subscriptions", JSON.createObjectNode(), 400);
    assertThat(pointers(missing)).containsExactlyInAnyOrder("/name", "/source", "/eventTypePattern", "/workflow");

    JsonNode notObject = call(HttpMethod.POST, "/api/v1/subscriptions", JSON.createArrayNode(), 400);
    assertThat(notObject.path("detail").asString()).contains("JSON object");

    JsonNode badLimit = call(HttpMethod.GET, "/api/v1/subscriptions?limit=0", null, 400);
    assertThat(badLimit.path("detail").asString()).contains("'limit'");
    JsonNode badCursor = call(HttpMethod.GET, "/api/v1/subscriptions?cursor=%25%25", null, 400);
    assertThat(badCursor.path("detail").asString()).contains("'cursor'");
    call(HttpMethod.PUT, "/api/v1/subscriptions/nobody", JSON.createObjectNode().put("source", "github")
        .put("eventTypePattern", "*").put("workflow", "notify"), 404);
  }

  @Test
  void repositoriesAreCreatedReadUpdatedListedAndDeleted() {
    ObjectNode body = JSON.createObjectNode().put("owner", "Codertocat").put("name", "Hello-World");
    body.putObject("config").putObject("auto_workflows").put("issue_opened", "issue_to_pr");
    JsonNode created = call(HttpMethod.POST, "/api/v1/repositories", body, 201);
    assertThat(created.path("fullName").asString()).isEqualTo("Codertocat/Hello-World");
    assertThat(created.path("defaultBranch").asString()).isEqualTo("main");
    assertThat(created.path("config")).isEqualTo(body.get("config"));
    assertThat(call(HttpMethod.GET, "/api/v1/repositories/Codertocat/Hello-World", null, 200)).isEqualTo(created);
    assertThat(call(HttpMethod.POST, "/api/v1/repositories", body, 409).path("detail").asString())
        .contains("already registered");

    JsonNode updated = call(HttpMethod.PUT, "/api/v1/repositories/Codertocat/Hello-World",
        JSON.createObjectNode().put("defaultBranch", "trunk").put("enabled", false), 200);
    assertThat(updated.path("defaultBranch").asString()).isEqualTo("trunk");
    assertThat(updated.path("enabled").asBoolean()).isFalse();
    assertThat(updated.path("config").isNull()).as("PUT replaces config").isTrue();

    call(HttpMethod.POST, "/api/v1/repositories", JSON.createObjectNode().put("owner", "acme").put("name", "api"), 201);
    JsonNode first = call(HttpMethod.GET, "/api/v1/repositories?limit=1", null, 200);
    assertThat(first.path("items").get(0).path("fullName").asString()).isEqualTo("Codertocat/Hello-World");
    JsonNode second = call(HttpMethod.GET, "/api/v1/repositories?limit=1&cursor=" + first.path("nextCursor").asString(), null, 200);
    assertThat(second.path("items").get(0).path("fullName").asString()).isEqualTo("acme/api");
    assertThat(second.path("nextCursor").isNull()).isTrue();

    http.delete().uri("/api/v1/repositories/acme/api").exchange().expectStatus().isNoContent();
    assertThat(call(HttpMethod.GET, "/api/v1/repositories/acme/api", null, 404).path("detail").asString())
        .contains("POST /api/v1/repositories");
  }

  @Test
  void anInvalidRepositoryListsEveryProblem() {
    ObjectNode body = JSON.createObjectNode().put("owner", "-bad owner").put("name", "a/b").put("defaultBranch", "has space");
    body.putObject("config").putObject("auto_workflows").put("Issue Opened", "Not A Workflow");
    JsonNode problem = call(HttpMethod.POST, "/api/v1/repositories", body, 400);
    assertThat(problem.path("title").asString()).isEqualTo("Invalid repository");
    assertThat(pointers(problem)).containsExactlyInAnyOrder("/owner", "/name", "/defaultBranch",
        "/config/auto_workflows/Issue Opened", "/config/auto_workflows/Issue Opened");

    call(HttpMethod.POST, "/api/v1/repositories", JSON.createObjectNode().put("owner", "octo").put("name", "x"), 201);
    JsonNode rename = call(HttpMethod.PUT, "/api/v1/repositories/octo/x", JSON.createObjectNode().put("name", "y"), 400);
    assertThat(message(rename, "/name")).contains("cannot be changed");
    call(HttpMethod.PUT, "/api/v1/repositories/octo/nothing", JSON.createObjectNode(), 404);
  }

  // ---------------------------------------------------------------------------------------------

  private void workflow(String name) {
    call(HttpMethod.POST, "/api/v1/workflows", JSON.readTree("{\"name\": \"" + name
        + "\", \"definition\": {\"steps\": [{\"name\": \"a\", \"tool\": \"x.y\", \"params\": {}}]}}"), 201);
  }

  private JsonNode call(HttpMethod method, String uri, JsonNode body, int status) {
    var request = http.method(method).uri(uri);
    var exchange = body == null ? request.exchange()
        : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body.toString()).exchange();
    var spec = exchange.expectStatus().isEqualTo(status);
    if (status >= 400) {
      spec.expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);
    }
    String text = spec.expectBody(String.class).returnResult().getResponseBody();
    return text == null ? null : JSON.readTree(text);
  }

  private static List<String> pointers(JsonNode problem) {
    List<String> pointers = new ArrayList<>();
    problem.path("errors").forEach(e -> pointers.add(e.path("pointer").asString()));
    return pointers;
  }

  private static String message(JsonNode problem, String pointer) {
    for (JsonNode e : problem.path("errors")) {
      if (e.path("pointer").asString().equals(pointer)) {
        return e.path("message").asString();
      }
    }
    throw new AssertionError("no problem at " + pointer + " in " + problem);
  }
}

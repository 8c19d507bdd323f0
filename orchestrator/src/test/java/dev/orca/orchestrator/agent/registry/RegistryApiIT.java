package dev.orca.orchestrator.agent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** {@code /api/v1/organizations} and {@code /api/v1/agents}: CRUD, filters, cursors, and every rule as problem+json. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RegistryApiIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("registry");
  static final String TOKEN = "registry-token";
  static final JsonMapper JSON = JsonMapper.builder().build();

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    registry.add("orca.api.tokens", () -> TOKEN);
    registry.add("orca.engine.enabled", () -> "false");
  }

  @LocalServerPort int port;
  @Autowired PostgresAgentStore store;
  WebTestClient http;

  @BeforeEach
  void client() {
    http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader("Authorization", "Bearer " + TOKEN).responseTimeout(Duration.ofSeconds(30)).build();
    send("POST", "/api/v1/organizations", json("{'slug': 'acme', 'name': 'Acme'}"), null);
    send("POST", "/api/v1/organizations", json("{'slug': 'globex', 'name': 'Globex'}"), null);
  }

  static JsonNode json(String singleQuoted) {
    return JSON.readTree(singleQuoted.replace('\'', '"'));
  }

  /** Sends and returns the JSON answer; asserts the status when {@code expected} is given. */
  JsonNode send(String method, String uri, JsonNode body, Integer expected) {
    var request = http.method(HttpMethod.valueOf(method)).uri(uri);
    var response = (body == null ? request : request.contentType(MediaType.APPLICATION_JSON)
        .bodyValue(JSON.writeValueAsString(body))).exchange();
    if (expected != null) {
      response.expectStatus().isEqualTo(expected);
      if (expected >= 400) {
        response.expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);
      }
    }
    byte[] answer = response.expectBody().returnResult().getResponseBody();
    return answer == null || answer.length == 0 ? null : JSON.readTree(answer);
  }

  static ObjectNode contextAgent(String slug) {
    return (ObjectNode) json("""
        {'slug': '%s', 'organizations': ['acme'], 'name': 'Planner', 'description': 'Plans code changes',
         'agentType': 'context', 'department': 'engineering', 'tags': ['code', 'planning'],
         'capabilities': ['github', 'planning'], 'context': 'You plan code changes.',
         'ioSchema': {'input': {'type': 'object'}, 'output': {'type': 'object'}},
         'llmConfig': {'provider': 'anthropic', 'model': 'claude-sonnet-4-5', 'apiKeySecret': 'anthropic',
                       'maxTurns': 6, 'parameters': {'temperature': 0.2}},
         'metadata': {'author': 'ops'}}""".formatted(slug));
  }

  static ObjectNode apiAgent(String slug) {
    return (ObjectNode) json("""
        {'slug': '%s', 'organizations': ['globex'], 'name': 'Webhook', 'description': 'An n8n flow',
         'agentType': 'api', 'department': 'marketing', 'tags': ['n8n'], 'capabilities': ['blog'],
         'context': 'POST a topic', 'ioSchema': {},
         'endpoint': {'url': 'http://localhost:5678/webhook/blog', 'method': 'POST',
                      'authentication': {'type': 'bearer', 'secretName': 'n8n_token'},
                      'requestTransform': {'topic': '${input.topic}'}, 'responseTransform': '${response.post}'}}"""
        .formatted(slug));
  }

  private List<String> rules(JsonNode problem) {
    List<String> rules = new ArrayList<>();
    problem.path("rules").forEach(r -> rules.add(r.asString()));
    return rules;
  }

  @Test
  void organizationsCrud() {
    JsonNode created = send("POST", "/api/v1/organizations",
        json("{'slug': 'initech', 'name': 'Initech', 'url': 'https://initech.example', 'settings': {'theme': 'dark'}}"), 201);
    assertThat(created.path("slug").asString()).isEqualTo("initech");
    assertThat(created.path("settings").path("theme").asString()).isEqualTo("dark");
    assertThat(send("POST", "/api/v1/organizations", json("{'slug': 'initech', 'name': 'Again'}"), 409)
        .path("detail").asString()).contains("initech");
    JsonNode replaced = send("PUT", "/api/v1/organizations/initech", json("{'name': 'Initech Corp'}"), 200);
    assertThat(replaced.path("name").asString()).isEqualTo("Initech Corp");
    assertThat(replaced.path("url").isNull()).as("PUT replaces the whole organization").isTrue();
    assertThat(send("GET", "/api/v1/organizations/initech", null, 200).path("name").asString()).isEqualTo("Initech Corp");

    JsonNode bad = send("POST", "/api/v1/organizations", json("{'slug': 'Bad Slug', 'url': 'ftp://x', 'extra': 1}"), 400);
    assertThat(rules(bad)).contains("slug_format", "required", "endpoint_url", "unknown_property");

    send("POST", "/api/v1/agents", contextAgent("initech-bot").set("organizations", json("['initech']")), 201);
    assertThat(rules(send("DELETE", "/api/v1/organizations/initech", null, 409))).containsExactly("organization_in_use");
    send("DELETE", "/api/v1/agents/initech-bot", null, 204);
    send("DELETE", "/api/v1/organizations/initech", null, 204);
    send("GET", "/api/v1/organizations/initech", null, 404);
    send("DELETE", "/api/v1/organizations/initech", null, 404);
  }

  @Test
  void agentsCrud() {
    JsonNode created = send("POST", "/api/v1/agents", contextAgent("planner"), 201);
    assertThat(created.path("agentType").asString()).isEqualTo("context");
    assertThat(created.path("version").asString()).isEqualTo("1.0.0");
    assertThat(created.path("llmConfig").path("model").asString()).isEqualTo("claude-sonnet-4-5");
    assertThat(created.path("createdAt").isMissingNode()).isFalse();
    assertThat(created.path("context").asString()).as("the system prompt, as given").isEqualTo("You plan code changes.");
    http.get().uri("/api/v1/agents/planner").exchange().expectStatus().isOk();
    assertThat(send("POST", "/api/v1/agents", contextAgent("planner"), 409).path("title").asString())
        .isEqualTo("Agent already exists");

    ObjectNode asApi = apiAgent("planner");
    asApi.remove("slug");
    JsonNode replaced = send("PUT", "/api/v1/agents/planner", asApi, 200);
    assertThat(replaced.path("agentType").asString()).isEqualTo("api");
    assertThat(replaced.path("llmConfig").isNull()).isTrue();
    assertThat(replaced.path("endpoint").path("authentication").path("secretName").asString()).isEqualTo("n8n_token");
    assertThat(rules(send("PUT", "/api/v1/agents/planner", contextAgent("other"), 400))).containsExactly("slug_format");

    send("DELETE", "/api/v1/agents/planner", null, 204);
    send("GET", "/api/v1/agents/planner", null, 404);
    send("PUT", "/api/v1/agents/planner", apiAgent("planner"), 404);
    send("DELETE", "/api/v1/agents/planner", null, 404);
  }

  @Test
  void everyTypeRuleIsNamedInTheProblem() {
    ObjectNode robot = contextAgent("r1").put("agentType", "robot");
    assertThat(rules(send("POST", "/api/v1/agents", robot, 400))).containsExactly(AgentRules.TYPE_RULE);

    ObjectNode noLlm = contextAgent("r2");
    noLlm.remove("llmConfig");
    JsonNode problem = send("POST", "/api/v1/agents", noLlm, 400);
    assertThat(rules(problem)).containsExactly(AgentRules.CONTEXT_RULE);
    assertThat(problem.path("errors").path(0).path("pointer").asString()).isEqualTo("/llmConfig");
    assertThat(problem.path("detail").asString()).contains("context agent needs 'llmConfig'");

    ObjectNode withEndpoint = contextAgent("r3");
    withEndpoint.set("endpoint", json("{'url': 'http://localhost:1/x'}"));
    assertThat(rules(send("POST", "/api/v1/agents", withEndpoint, 400))).containsExactly(AgentRules.CONTEXT_RULE);

    ObjectNode noEndpoint = apiAgent("r4");
    noEndpoint.remove("endpoint");
    assertThat(rules(send("POST", "/api/v1/agents", noEndpoint, 400))).containsExactly(AgentRules.ENDPOINT_RULE);

    ObjectNode externalWithLlm = apiAgent("r5").put("agentType", "external");
    externalWithLlm.set("llmConfig", json("{'provider': 'openai', 'model': 'gpt-4o'}"));
    assertThat(rules(send("POST", "/api/v1/agents", externalWithLlm, 400))).containsExactly(AgentRules.ENDPOINT_RULE);

    ObjectNode external = apiAgent("r6").put("agentType", "external");
    ((ObjectNode) external.get("endpoint")).put("method", "GET");
    assertThat(rules(send("POST", "/api/v1/agents", external, 400))).containsExactly("endpoint_method");
    send("GET", "/api/v1/agents/r1", null, 404);
  }

  @Test
  void theOtherRulesAreNamedToo() {
    ObjectNode agent = contextAgent("rules");
    ((ObjectNode) agent.get("llmConfig")).put("provider", "google").put("maxTurns", 0).put("apiKeySecret", "sk live key");
    agent.set("ioSchema", json("{'input': {'type': 'no-such-type'}, 'output': 3, 'extra': {}}"));
    agent.set("organizations", json("['acme', 'nowhere']"));
    agent.remove("department");
    JsonNode problem = send("POST", "/api/v1/agents", agent, 400);
    assertThat(rules(problem)).contains("llm_provider", "llm_max_turns", "secret_by_name", "io_schema", "unknown_property",
        "required");

    ObjectNode leaky = apiAgent("leaky");
    ((ObjectNode) leaky.get("endpoint")).set("authentication", json("{'type': 'bearer', 'token': 'abc123'}"));
    ((ObjectNode) leaky.get("endpoint")).set("headers", json("{'Authorization': 'Bearer abc123'}"));
    ((ObjectNode) leaky.get("endpoint")).set("requestTransform", json("{'x': '${secrets.all}'}"));
    JsonNode refused = send("POST", "/api/v1/agents", leaky, 400);
    assertThat(rules(refused)).contains("secret_by_name", "template_roots");
    assertThat(refused.toString()).doesNotContain("abc123");

    assertThat(rules(send("POST", "/api/v1/agents", contextAgent("orphan").set("organizations", json("['nowhere']")), 400)))
        .containsExactly("organization_exists");
    assertThat(rules(send("POST", "/api/v1/agents", json("[1, 2]"), 400))).containsExactly("field_type");
  }

  @Test
  void theDatabaseChecksBackTheRulesAndTheirNamesReachTheProblem() {
    Agent valid = new Agent("backstop", List.of("acme"), "B", "d", "1.0.0", "context", "ops", List.of(), json("{}"),
        List.of("x"), "c", json("{'url': 'http://localhost/'}"), json("{'provider': 'openai', 'model': 'm'}"), json("{}"),
        null, null);
    assertThatThrownBy(() -> store.create(valid).block(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(RegistryException.class, e ->
            assertThat(e.getBody().getProperties()).extractingByKey("rules").isEqualTo(List.of(AgentRules.CONTEXT_RULE)));
    Agent unknownType = new Agent("backstop", List.of("acme"), "B", "d", "1.0.0", "robot", "ops", List.of(), json("{}"),
        List.of("x"), "c", null, null, json("{}"), null, null);
    assertThatThrownBy(() -> store.create(unknownType).block(Duration.ofSeconds(30)))
        .isInstanceOfSatisfying(RegistryException.class, e ->
            assertThat(e.getBody().getProperties()).extractingByKey("rules").isEqualTo(List.of(AgentRules.TYPE_RULE)));
  }

  @Test
  void listsFilterByOrganizationTypeCapabilityAndTagWithACursor() {
    for (String slug : List.of("l-a", "l-b", "l-c")) {
      send("POST", "/api/v1/agents", contextAgent(slug), 201);
    }
    send("POST", "/api/v1/agents", apiAgent("l-d"), 201);
    send("POST", "/api/v1/agents", contextAgent("l-e").set("tags", json("['other']")), 201);

    assertThat(slugs(send("GET", "/api/v1/agents?organization=globex", null, 200))).containsExactly("l-d");
    assertThat(slugs(send("GET", "/api/v1/agents?type=api", null, 200))).containsExactly("l-d");
    assertThat(slugs(send("GET", "/api/v1/agents?capability=planning&tag=planning", null, 200)))
        .containsExactly("l-a", "l-b", "l-c");
    assertThat(slugs(send("GET", "/api/v1/agents?tag=other&type=context&organization=acme", null, 200)))
        .containsExactly("l-e");

    JsonNode first = send("GET", "/api/v1/agents?capability=planning&limit=2", null, 200);
    assertThat(slugs(first)).containsExactly("l-a", "l-b");
    JsonNode second = send("GET", "/api/v1/agents?capability=planning&limit=2&cursor="
        + first.path("nextCursor").asString(), null, 200);
    assertThat(slugs(second)).containsExactly("l-c", "l-e");
    assertThat(second.path("nextCursor").isNull()).isTrue();

    send("GET", "/api/v1/agents?type=robot", null, 400);
    send("GET", "/api/v1/agents?cursor=%%%", null, 400);
    send("GET", "/api/v1/agents?limit=0", null, 400);
    JsonNode orgs = send("GET", "/api/v1/organizations?limit=1", null, 200);
    assertThat(orgs.path("items")).hasSize(1);
    assertThat(orgs.path("nextCursor").isString()).isTrue();
  }

  private static List<String> slugs(JsonNode page) {
    List<String> slugs = new ArrayList<>();
    page.path("items").forEach(a -> slugs.add(a.path("slug").asString()));
    return slugs;
  }
}

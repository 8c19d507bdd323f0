package dev.orca.orchestrator.agent;

import static dev.orca.orchestrator.agent.AgentApi.json;
import static dev.orca.orchestrator.agent.LocalHttpServer.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.agent.LocalHttpServer.Answer;
import dev.orca.orchestrator.agent.LocalHttpServer.Seen;
import dev.orca.orchestrator.agent.ProviderWire.Move;
import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Agent steps end to end: API → engine → agent runtime → a local server speaking the Anthropic, OpenAI, api and
 * A2A wire formats, with tool use through the test MCP server standing in for the gateway; checked in
 * {@code agent_runs}, {@code mcp_tool_calls} and the metrics.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AgentStepsIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("agents");
  static final LocalMcpServer mcp = LocalMcpServer.start();
  static final LocalHttpServer remote = new LocalHttpServer();
  static final AtomicInteger names = new AtomicInteger();

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    registry.add("orca.api.tokens", () -> AgentApi.TOKEN);
    registry.add("orca.gateway.url", mcp::url);
    registry.add("orca.engine.poll-interval", () -> "1s");
    registry.add("ORCA_SECRET_ANTHROPIC_KEY", () -> "sk-ant-test");
    registry.add("ORCA_SECRET_OPENAI_KEY", () -> "sk-openai-test");
    registry.add("ORCA_SECRET_SUMMARIZER_TOKEN", () -> "api-token-1");
    registry.add("ORCA_SECRET_SUMMARIZER_STALE", () -> "api-token-0");
    registry.add("orca.agents.prices[claude-test].input-per-mtok", () -> "3");
    registry.add("orca.agents.prices[claude-test].output-per-mtok", () -> "15");
    registry.add("orca.agents.prices[gpt-test].input-per-mtok", () -> "0.5");
    registry.add("orca.agents.prices[gpt-test].output-per-mtok", () -> "1.5");
  }

  @AfterAll
  static void stopServers() {
    mcp.close();
    remote.close();
  }

  @LocalServerPort int port;
  AgentApi api;

  @BeforeEach
  void setUp() {
    api = new AgentApi(port);
    mcp.tool("weather.lookup", args -> Mono.just(ToolScript.structured(
        json("{'city': '" + args.path("city").asString() + "', 'tempC': 10}"))));
    mcp.tool("calc.add", args -> Mono.just(ToolScript.structured(
        JSON.createObjectNode().put("sum", args.path("a").asInt() + args.path("b").asInt()))));
    mcp.tool("slow.wait", ToolScript.never());
    api.http().post().uri("/api/v1/organizations").header("Content-Type", "application/json")
        .bodyValue("{\"slug\": \"acme\", \"name\": \"Acme\"}").exchange()
        .expectStatus().value(status -> assertThat(status).isIn(201, 409));
  }

  private static String unique(String base) {
    return base + "-" + names.incrementAndGet();
  }

  // ---------------------------------------------------------------- the weather task: two tool calls

  /** The scripted model: look the city up, convert with calc.add, then answer {city, tempF}. */
  static Move weatherMove(int turn, String userText, String lastToolResult) {
    return switch (turn) {
      case 1 -> Move.call("weather__lookup", JSON.createObjectNode().put("city", JSON.readTree(userText).path("city").asString()));
      case 2 -> {
        int tempC = JSON.readTree(lastToolResult).path("tempC").asInt();
        yield Move.call("calc__add", JSON.createObjectNode().put("a", tempC * 9 / 5).put("b", 32));
      }
      default -> {
        int sum = JSON.readTree(lastToolResult).path("sum").asInt();
        yield Move.answer("{\"city\": \"Oslo\", \"tempF\": " + sum + "}");
      }
    };
  }

  private ObjectNode weatherAgent(String slug, String llmConfig) {
    return (ObjectNode) json("""
        {'slug': '%s', 'organizations': ['acme'], 'name': 'Weather', 'description': 'Temperatures in Fahrenheit',
         'agentType': 'context', 'department': 'ops', 'tags': ['demo'], 'capabilities': ['weather', 'calc'],
         'context': 'You report temperatures in Fahrenheit.',
         'ioSchema': {'input': {'type': 'object', 'required': ['city'], 'properties': {'city': {'type': 'string'}}},
                      'output': {'type': 'object', 'required': ['city', 'tempF'],
                                 'properties': {'city': {'type': 'string'}, 'tempF': {'type': 'integer'}}}},
         'llmConfig': %s}""".formatted(slug, llmConfig));
  }

  private JsonNode runAgentStep(String agent, JsonNode input, String retry) {
    String wf = unique("wf-" + agent);
    api.workflow(wf, json("""
        {'steps': [{'name': 'ask', 'agent': '%s', 'input': {'city': '${input.city}'}, 'assign': 'forecast'%s}]}"""
        .formatted(agent, retry == null ? "" : ", 'retry': " + retry)));
    return api.awaitFinished(api.start(wf, input));
  }

  @Test
  void anAnthropicAgentAnswersWithTwoToolCallsRecordedAndLinked() throws Exception {
    String path = "/anthropic-weather/v1/messages";
    AtomicInteger calls = new AtomicInteger();
    remote.on(path, s -> {
      int turn = calls.incrementAndGet();
      JsonNode messages = s.body().path("messages");
      String user = messages.path(0).path("content").path(0).path("text").asString();
      Move move = weatherMove(turn, user, turn == 1 ? null : ProviderWire.lastAnthropicToolResult(s.body()));
      return Mono.just(ProviderWire.anthropic(move, "a" + turn, 100 + 50 * (turn - 1), 20 + 5 * (turn - 1)));
    });
    String slug = unique("weather-anthropic");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'anthropic', 'model': 'claude-test', "
        + "'baseUrl': '" + remote.url("/anthropic-weather") + "', 'apiKeySecret': 'anthropic_key'}"), HttpStatus.CREATED);

    JsonNode done = runAgentStep(slug, json("{'city': 'Oslo'}"), null);

    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(done.path("output").path("forecast")).isEqualTo(json("{'city': 'Oslo', 'tempF': 50}"));
    JsonNode step = done.path("steps").get(0);
    assertThat(step.path("output").path("usage").path("totalTokens").asInt()).isEqualTo(450 + 75);
    List<Seen> requests = remote.requests(path);
    assertThat(requests).hasSize(3);
    Seen first = requests.get(0);
    assertThat(first.headers()).containsEntry("x-api-key", "sk-ant-test").containsEntry("anthropic-version", "2023-06-01");
    assertThat(first.body().path("system").asString()).startsWith("You report temperatures in Fahrenheit.").contains("tempF");
    assertThat(first.body().path("tools").findValuesAsString("name")).containsExactly("calc__add", "weather__lookup");
    assertThat(requests.get(2).body().path("messages")).hasSize(5);
    assertRunRecorded(done, slug, "claude-test", 450, 75, "0.002475");

    JsonNode runs = api.get("/api/v1/executions/" + done.path("id").asString() + "/agent-runs");
    assertThat(runs).hasSize(1);
    assertThat(runs.get(0).path("stepName").asString()).isEqualTo("ask");
    assertThat(runs.get(0).path("agent").asString()).isEqualTo(slug);
    assertThat(runs.get(0).path("totalTokens").asInt()).isEqualTo(525);
    assertThat(runs.get(0).path("costUsd").decimalValue()).isEqualByComparingTo("0.002475");
    assertThat(runs.get(0).path("toolCalls").findValuesAsString("tool")).containsExactly("weather.lookup", "calc.add");
    assertThat(runs.get(0).path("output").path("tempF").asInt()).isEqualTo(50);
    api.send("GET", "/api/v1/executions/00000000-0000-0000-0000-000000000000/agent-runs", null, HttpStatus.NOT_FOUND);
  }

  @Test
  void anOpenAiAgentAnswersWithTwoToolCallsRecordedAndLinked() throws Exception {
    String path = "/openai-weather/chat/completions";
    AtomicInteger calls = new AtomicInteger();
    remote.on(path, s -> {
      int turn = calls.incrementAndGet();
      String user = s.body().path("messages").path(1).path("content").asString();
      Move move = weatherMove(turn, user, turn == 1 ? null : ProviderWire.lastOpenAiToolResult(s.body()));
      return Mono.just(ProviderWire.openai(move, "o" + turn, 100 + 50 * (turn - 1), 20 + 5 * (turn - 1)));
    });
    String slug = unique("weather-openai");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'openai', 'model': 'gpt-test', "
        + "'baseUrl': '" + remote.url("/openai-weather") + "', 'apiKeySecret': 'openai_key', "
        + "'parameters': {'temperature': 0.1, 'maxTokens': 256}}"), HttpStatus.CREATED);

    JsonNode done = runAgentStep(slug, json("{'city': 'Oslo'}"), null);

    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(done.path("output").path("forecast")).isEqualTo(json("{'city': 'Oslo', 'tempF': 50}"));
    List<Seen> requests = remote.requests(path);
    assertThat(requests).hasSize(3);
    assertThat(requests.get(0).headers()).containsEntry("authorization", "Bearer sk-openai-test");
    assertThat(requests.get(0).body().path("max_tokens").asInt()).isEqualTo(256);
    assertThat(requests.get(0).body().path("messages").path(0).path("role").asString()).isEqualTo("system");
    assertThat(requests.get(0).body().path("tools").findValuesAsString("name")).containsExactly("calc__add", "weather__lookup");
    JsonNode assistant = requests.get(1).body().path("messages").path(2);
    assertThat(assistant.path("tool_calls").path(0).path("function").path("name").asString()).isEqualTo("weather__lookup");
    assertThat(requests.get(1).body().path("messages").path(3).path("tool_call_id").asString()).isEqualTo("call_o1");
    // 450 prompt tokens at $0.5/M + 75 completion tokens at $1.5/M
    assertRunRecorded(done, slug, "gpt-test", 450, 75, "0.000338");

    String metrics = api.http().get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
        .expectBody(String.class).returnResult().getResponseBody();
    String agentLabel = "agent=\"" + slug + "\"";
    assertThat(metrics)
        .containsPattern("orca_agent_tokens_total\\{" + agentLabel + "[^}]*kind=\"prompt\",model=\"gpt-test\"} 450.0")
        .containsPattern("orca_agent_tokens_total\\{" + agentLabel + "[^}]*kind=\"completion\",model=\"gpt-test\"} 75.0")
        .containsPattern("orca_agent_cost_usd_total\\{" + agentLabel + "[^}]*model=\"gpt-test\"} 3.3\\d*E-4")
        .containsPattern("orca_agent_run_duration_seconds_count\\{" + agentLabel
            + "[^}]*model=\"gpt-test\",outcome=\"completed\"} 1");
  }

  @Test
  void streamedRepliesOfBothProvidersAreAssembledWithTheirUsage() throws Exception {
    String anthropicPath = "/anthropic-stream/v1/messages";
    AtomicInteger anthropicTurns = new AtomicInteger();
    remote.on(anthropicPath, s -> {
      int turn = anthropicTurns.incrementAndGet();
      String user = s.body().path("messages").path(0).path("content").path(0).path("text").asString();
      Move move = weatherMove(turn, user, turn == 1 ? null : ProviderWire.lastAnthropicToolResult(s.body()));
      return Mono.just(Answer.events(Flux.fromIterable(
          ProviderWire.anthropicEvents(move, "as" + turn, 100 + 50 * (turn - 1), 20 + 5 * (turn - 1)))));
    });
    String anthropic = unique("weather-anthropic-stream");
    api.send("POST", "/api/v1/agents", weatherAgent(anthropic, "{'provider': 'anthropic', 'model': 'claude-test', "
        + "'baseUrl': '" + remote.url("/anthropic-stream") + "', 'apiKeySecret': 'anthropic_key', 'stream': true}"),
        HttpStatus.CREATED);
    JsonNode viaAnthropic = runAgentStep(anthropic, json("{'city': 'Oslo'}"), null);
    assertThat(viaAnthropic.path("status").asString()).isEqualTo("completed");
    assertThat(viaAnthropic.path("output").path("forecast")).isEqualTo(json("{'city': 'Oslo', 'tempF': 50}"));
    assertThat(remote.requests(anthropicPath).get(0).body().path("stream").asBoolean()).isTrue();
    assertThat(remote.requests(anthropicPath).get(0).headers().get("accept")).contains("text/event-stream");
    assertRunRecorded(viaAnthropic, anthropic, "claude-test", 450, 75, "0.002475");

    String openaiPath = "/openai-stream/chat/completions";
    AtomicInteger openaiTurns = new AtomicInteger();
    remote.on(openaiPath, s -> {
      int turn = openaiTurns.incrementAndGet();
      String user = s.body().path("messages").path(1).path("content").asString();
      Move move = weatherMove(turn, user, turn == 1 ? null : ProviderWire.lastOpenAiToolResult(s.body()));
      return Mono.just(Answer.events(Flux.fromIterable(
          ProviderWire.openaiEvents(move, "os" + turn, 100 + 50 * (turn - 1), 20 + 5 * (turn - 1)))));
    });
    String openai = unique("weather-openai-stream");
    api.send("POST", "/api/v1/agents", weatherAgent(openai, "{'provider': 'openai', 'model': 'gpt-test', "
        + "'baseUrl': '" + remote.url("/openai-stream") + "', 'stream': true}"), HttpStatus.CREATED);
    JsonNode viaOpenAi = runAgentStep(openai, json("{'city': 'Oslo'}"), null);
    assertThat(viaOpenAi.path("status").asString()).isEqualTo("completed");
    assertThat(viaOpenAi.path("output").path("forecast")).isEqualTo(json("{'city': 'Oslo', 'tempF': 50}"));
    JsonNode first = remote.requests(openaiPath).get(0).body();
    assertThat(first.path("stream").asBoolean()).isTrue();
    assertThat(first.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(remote.requests(openaiPath).get(1).body().path("messages").path(2).path("tool_calls").path(0)
        .path("function").path("arguments").asString()).isEqualTo("{\"city\":\"Oslo\"}");
    assertRunRecorded(viaOpenAi, openai, "gpt-test", 450, 75, "0.000338");
  }

  @Test
  void cancellingTheExecutionEndsTheProviderStreamMidway() throws Exception {
    String path = "/stream-slow/chat/completions";
    Move thinking = Move.answer("Still thinking about it");
    remote.on(path, s -> Mono.just(Answer.events(Flux.concat(
        Flux.just(ProviderWire.openaiEvents(thinking, "slow", 1, 1).get(0)), Flux.never()))));
    String slug = unique("slow-stream");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'openai', 'model': 'gpt-test', "
        + "'baseUrl': '" + remote.url("/stream-slow") + "', 'stream': true}"), HttpStatus.CREATED);
    cancelWhileTheProviderAnswers(slug, path);
  }

  private void assertRunRecorded(JsonNode done, String slug, String model, int prompt, int completion, String cost)
      throws Exception {
    String id = done.path("id").asString();
    String stepId = single("SELECT id FROM workflow_steps WHERE execution_id = '" + id + "'");
    List<String> run = row("SELECT id, agent_slug, agent_type, model, prompt_tokens, completion_tokens, total_tokens, "
        + "cost_usd, step_id, jsonb_array_length(tool_calls), output->>'tempF', error, duration_ms IS NOT NULL "
        + "FROM agent_runs WHERE execution_id = '" + id + "'");
    assertThat(run.subList(1, run.size())).containsExactly(slug, "context", model, String.valueOf(prompt),
        String.valueOf(completion), String.valueOf(prompt + completion), cost, stepId, "2", "50", null, "t");
    String runId = run.get(0);
    assertThat(done.path("steps").get(0).path("output").path("agentRunId").asString()).isEqualTo(runId);
    assertThat(rows("SELECT server_name || '.' || tool_name || ' ' || status || ' ' || outcome || ' ' || step_id || ' ' "
        + "|| source FROM mcp_tool_calls WHERE agent_run_id = '" + runId + "' ORDER BY started_at"))
        .containsExactly("weather.lookup completed success " + stepId + " orchestrator",
            "calc.add completed success " + stepId + " orchestrator");
    assertThat(single("SELECT count(*) FROM mcp_tool_calls WHERE execution_id = '" + id + "' AND agent_run_id IS NULL"))
        .isEqualTo("0");
    assertThat(mcp.calls()).anySatisfy(call -> assertThat(call.path("_meta").path("dev.orca/agentRunId").asString())
        .isEqualTo(runId));
  }

  // ---------------------------------------------------------------- limits, errors, retries

  @Test
  void anAgentThatKeepsAskingForToolsFailsAtItsTurnLimitWithoutRetrying() throws Exception {
    String path = "/loop/v1/messages";
    AtomicInteger calls = new AtomicInteger();
    remote.on(path, s -> Mono.just(ProviderWire.anthropic(
        Move.call("weather__lookup", json("{'city': 'Oslo'}")), "l" + calls.incrementAndGet(), 10, 1)));
    String slug = unique("looper");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'anthropic', 'model': 'claude-test', "
        + "'baseUrl': '" + remote.url("/loop") + "', 'apiKeySecret': 'anthropic_key', 'maxTurns': 3}"), HttpStatus.CREATED);

    JsonNode done = runAgentStep(slug, json("{'city': 'Oslo'}"), "{'strategy': 'fixed', 'maxRetries': 2, 'initialDelayMs': 10}");

    assertThat(done.path("status").asString()).isEqualTo("failed");
    JsonNode step = done.path("steps").get(0);
    assertThat(step.path("error").asString()).contains("limit of 3 turns");
    assertThat(step.path("retryCount").asInt()).isZero();
    assertThat(remote.requests(path)).hasSize(3);
    List<String> run = row("SELECT prompt_tokens, completion_tokens, jsonb_array_length(tool_calls), error FROM agent_runs "
        + "WHERE execution_id = '" + done.path("id").asString() + "'");
    assertThat(run.subList(0, 3)).containsExactly("30", "3", "2");
    assertThat(run.get(3)).contains("limit of 3 turns");
  }

  @Test
  void rateLimitedAndOverloadedProvidersAreRetriedPerTheStepsPolicy() throws Exception {
    String path = "/flaky/v1/messages";
    AtomicInteger calls = new AtomicInteger();
    remote.on(path, s -> Mono.just(switch (calls.incrementAndGet()) {
      case 1 -> ProviderWire.anthropicError(429, "rate_limit_error", "Number of requests has exceeded your rate limit", "0");
      case 2 -> ProviderWire.anthropicError(529, "overloaded_error", "Overloaded", "0");
      default -> ProviderWire.anthropic(Move.answer("{\"city\": \"Oslo\", \"tempF\": 50}"), "f", 12, 8);
    }));
    String slug = unique("flaky");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'anthropic', 'model': 'claude-test', "
        + "'baseUrl': '" + remote.url("/flaky") + "', 'apiKeySecret': 'anthropic_key'}"), HttpStatus.CREATED);

    JsonNode done = runAgentStep(slug, json("{'city': 'Oslo'}"), "{'strategy': 'fixed', 'maxRetries': 3, 'initialDelayMs': 10}");

    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(done.path("steps").get(0).path("retryCount").asInt()).isEqualTo(2);
    assertThat(rows("SELECT coalesce(error, 'ok') FROM agent_runs WHERE execution_id = '" + done.path("id").asString()
        + "' ORDER BY started_at"))
        .satisfiesExactly(
            e -> assertThat(e).contains("HTTP 429").contains("rate_limit_error"),
            e -> assertThat(e).contains("HTTP 529").contains("overloaded_error"),
            e -> assertThat(e).isEqualTo("ok"));
  }

  @Test
  void aClientErrorOfTheProviderFailsAtOnce() {
    String path = "/bad/chat/completions";
    remote.on(path, s -> Mono.just(ProviderWire.openaiError(400, "invalid_request_error", "Unknown model gpt-test", null)));
    String slug = unique("bad-request");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'openai', 'model': 'gpt-test', "
        + "'baseUrl': '" + remote.url("/bad") + "'}"), HttpStatus.CREATED);

    JsonNode done = runAgentStep(slug, json("{'city': 'Oslo'}"), "{'strategy': 'fixed', 'maxRetries': 3, 'initialDelayMs': 10}");

    assertThat(done.path("status").asString()).isEqualTo("failed");
    assertThat(done.path("steps").get(0).path("retryCount").asInt()).isZero();
    assertThat(done.path("steps").get(0).path("error").asString()).contains("HTTP 400").contains("Unknown model");
    assertThat(remote.requests(path).get(0).headers()).doesNotContainKey("authorization");
  }

  @Test
  void inputAndOutputThatBreakTheIoSchemaFailTheStepWithTheSchemaErrors() throws Exception {
    String path = "/schema/chat/completions";
    remote.on(path, s -> Mono.just(ProviderWire.openai(Move.answer("{\"city\": \"Oslo\"}"), "s", 5, 5)));
    String slug = unique("strict");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'openai', 'model': 'gpt-test', "
        + "'baseUrl': '" + remote.url("/schema") + "'}"), HttpStatus.CREATED);
    String retry = "{'strategy': 'fixed', 'maxRetries': 3, 'initialDelayMs': 10}";

    String wf = unique("wf-bad-input");
    api.workflow(wf, json("{'steps': [{'name': 'ask', 'agent': '" + slug + "', 'input': {'town': 'Oslo'}, 'retry': " + retry + "}]}"));
    JsonNode badInput = api.awaitFinished(api.start(wf, json("{}")));
    assertThat(badInput.path("status").asString()).isEqualTo("failed");
    assertThat(badInput.path("steps").get(0).path("error").asString())
        .contains("input does not match io_schema.input").contains("city");
    assertThat(badInput.path("steps").get(0).path("retryCount").asInt()).isZero();
    assertThat(remote.requests(path)).as("the agent never ran").isEmpty();
    assertThat(single("SELECT count(*) FROM agent_runs WHERE execution_id = '" + badInput.path("id").asString() + "'")).isEqualTo("0");

    JsonNode badOutput = runAgentStep(slug, json("{'city': 'Oslo'}"), retry);
    assertThat(badOutput.path("status").asString()).isEqualTo("failed");
    assertThat(badOutput.path("steps").get(0).path("error").asString())
        .contains("output does not match io_schema.output").contains("tempF");
    assertThat(badOutput.path("steps").get(0).path("retryCount").asInt()).isZero();
    assertThat(row("SELECT output->>'city', error FROM agent_runs WHERE execution_id = '" + badOutput.path("id").asString() + "'"))
        .satisfiesExactly(c -> assertThat(c).isEqualTo("Oslo"), e -> assertThat(e).contains("tempF"));
  }

  // ---------------------------------------------------------------- cancellation

  @Test
  void cancellingTheExecutionEndsTheProviderRequestInFlight() throws Exception {
    String path = "/slow/chat/completions";
    remote.on(path, s -> Mono.never());
    String slug = unique("slow-model");
    api.send("POST", "/api/v1/agents", weatherAgent(slug, "{'provider': 'openai', 'model': 'gpt-test', "
        + "'baseUrl': '" + remote.url("/slow") + "'}"), HttpStatus.CREATED);
    cancelWhileTheProviderAnswers(slug, path);
  }

  /** Starts the agent, cancels once the provider has the request, and checks the provider saw it end. */
  private void cancelWhileTheProviderAnswers(String slug, String path) throws Exception {
    String wf = unique("wf-cancel-" + slug);
    api.workflow(wf, json("{'steps': [{'name': 'ask', 'agent': '" + slug + "', 'input': {'city': 'Oslo'}}]}"));
    int before = remote.disconnected(path);

    String id = api.start(wf, json("{}"));
    await().atMost(Duration.ofSeconds(30)).until(() -> remote.requests(path).size() == 1);
    api.send("POST", "/api/v1/executions/" + id + "/cancel", null, HttpStatus.ACCEPTED);

    assertThat(api.awaitFinished(id).path("status").asString()).isEqualTo("cancelled");
    await().atMost(Duration.ofSeconds(30)).until(() -> remote.disconnected(path) > before);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> "cancelled".equals(single("SELECT error FROM agent_runs WHERE execution_id = '" + id + "'")));
  }

  @Test
  void cancellingTheExecutionEndsTheAgentsToolCallInFlight() throws Exception {
    String path = "/tooling/chat/completions";
    remote.on(path, s -> Mono.just(ProviderWire.openai(Move.call("slow__wait", json("{}")), "t", 5, 5)));
    String slug = unique("slow-tool");
    ObjectNode agent = weatherAgent(slug, "{'provider': 'openai', 'model': 'gpt-test', 'baseUrl': '"
        + remote.url("/tooling") + "', 'tools': ['slow.*']}");
    api.send("POST", "/api/v1/agents", agent, HttpStatus.CREATED);
    String wf = unique("wf-cancel-tool");
    api.workflow(wf, json("{'steps': [{'name': 'ask', 'agent': '" + slug + "', 'input': {'city': 'Oslo'}}]}"));
    int before = mcp.disconnectedCalls();

    String id = api.start(wf, json("{}"));
    await().atMost(Duration.ofSeconds(30)).until(() -> "started".equals(
        single("SELECT status FROM mcp_tool_calls WHERE execution_id = '" + id + "'")) && mcp.inFlightCalls() > 0);
    api.send("POST", "/api/v1/executions/" + id + "/cancel", null, HttpStatus.ACCEPTED);

    assertThat(api.awaitFinished(id).path("status").asString()).isEqualTo("cancelled");
    await().atMost(Duration.ofSeconds(30)).until(() -> mcp.disconnectedCalls() > before);
    await().atMost(Duration.ofSeconds(30)).until(() -> "cancelled".equals(single(
        "SELECT t.status FROM mcp_tool_calls t JOIN agent_runs r ON r.id = t.agent_run_id WHERE r.execution_id = '" + id + "'")));
    assertThat(remote.requests(path).get(0).body().path("tools").findValuesAsString("name")).containsExactly("slow__wait");
  }

  // ---------------------------------------------------------------- api and external agents

  @Test
  void anApiAgentCallsItsEndpointWithBearerAuthAndExtractsTheAnswer() throws Exception {
    remote.on("/summarize", s -> Mono.just("Bearer api-token-1".equals(s.headers().get("authorization"))
        ? Answer.json(json("{'data': {'summary': 'short: " + s.body().path("text").asString() + "'}, 'took': 3}"))
        : ProviderWire.openaiError(401, "unauthorized", "bad token", null)));
    String slug = unique("summarizer");
    api.send("POST", "/api/v1/agents", json("""
        {'slug': '%s', 'organizations': ['acme'], 'name': 'Summarizer', 'description': 'Summaries over HTTP',
         'agentType': 'api', 'department': 'content', 'capabilities': ['summarize'], 'context': 'POST text, get a summary',
         'ioSchema': {'output': {'type': 'object', 'required': ['summary']}},
         'endpoint': {'url': '%s', 'method': 'POST', 'headers': {'X-Client': 'orca'},
                      'authentication': {'type': 'bearer', 'secretName': 'summarizer_token'},
                      'requestTransform': {'text': '${input.text}', 'mode': 'short'},
                      'responseTransform': '${response.data}'}}""".formatted(slug, remote.url("/summarize"))),
        HttpStatus.CREATED);
    String wf = unique("wf-api");
    api.workflow(wf, json("{'steps': [{'name': 'sum', 'agent': '" + slug + "', 'input': {'text': '${input.text}'}, 'assign': 's'}]}"));

    JsonNode done = api.awaitFinished(api.start(wf, json("{'text': 'a long story'}")));

    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(done.path("output").path("s")).isEqualTo(json("{'summary': 'short: a long story'}"));
    Seen seen = remote.requests("/summarize").get(remote.requests("/summarize").size() - 1);
    assertThat(seen.body()).isEqualTo(json("{'text': 'a long story', 'mode': 'short'}"));
    assertThat(seen.headers()).containsEntry("x-client", "orca");
    assertThat(row("SELECT agent_type, model, prompt_tokens, error FROM agent_runs WHERE execution_id = '"
        + done.path("id").asString() + "'")).containsExactly("api", null, null, null);
    assertThat(single("SELECT count(*) FROM agents WHERE endpoint::text LIKE '%api-token-1%'"))
        .as("the token is never stored").isEqualTo("0");

    String stale = unique("summarizer-stale");
    JsonNode agent = api.get("/api/v1/agents/" + slug);
    ObjectNode copy = (ObjectNode) agent.deepCopy();
    copy.put("slug", stale);
    copy.remove("createdAt");
    copy.remove("updatedAt");
    ((ObjectNode) copy.path("endpoint").path("authentication")).put("secretName", "summarizer_stale");
    api.send("POST", "/api/v1/agents", copy, HttpStatus.CREATED);
    String refusedWf = unique("wf-api-refused");
    api.workflow(refusedWf, json("{'steps': [{'name': 'sum', 'agent': '" + stale + "', 'input': {'text': 'x'}, "
        + "'retry': {'strategy': 'fixed', 'maxRetries': 2, 'initialDelayMs': 10}}]}"));
    JsonNode refused = api.awaitFinished(api.start(refusedWf, json("{}")));
    assertThat(refused.path("status").asString()).isEqualTo("failed");
    assertThat(refused.path("steps").get(0).path("retryCount").asInt()).isZero();
    assertThat(refused.path("steps").get(0).path("error").asString()).contains("refused the credentials (HTTP 401)")
        .doesNotContain("bad token");
  }

  @Test
  void anExternalAgentIsCalledOverA2aAndItsCompletedTaskIsTheOutput() {
    AtomicInteger polls = new AtomicInteger();
    remote.on("/a2a", s -> {
      String method = s.body().path("method").asString();
      ObjectNode response = JSON.createObjectNode().put("jsonrpc", "2.0");
      response.set("id", s.body().path("id"));
      ObjectNode task = response.putObject("result").put("kind", "task").put("id", "task-1").put("contextId", "ctx-1");
      if (method.equals("message/send")) {
        task.putObject("status").put("state", "working");
      } else if (method.equals("tasks/get") && s.body().path("params").path("id").asString().equals("task-1")) {
        polls.incrementAndGet();
        task.putObject("status").put("state", "completed");
        task.putArray("artifacts").addObject().put("artifactId", "a1").putArray("parts").addObject()
            .put("kind", "data").set("data", json("{'verdict': 'approve', 'pr': 7}"));
      } else {
        response.remove("result");
        response.putObject("error").put("code", -32601).put("message", "Method not found");
      }
      return Mono.just(Answer.json(response));
    });
    String slug = unique("reviewer");
    api.send("POST", "/api/v1/agents", json("""
        {'slug': '%s', 'organizations': ['acme'], 'name': 'Reviewer', 'description': 'Reviews PRs over A2A',
         'agentType': 'external', 'department': 'engineering', 'capabilities': ['review'], 'context': 'A2A reviewer',
         'ioSchema': {'output': {'type': 'object', 'required': ['verdict']}},
         'endpoint': {'url': '%s'}}""".formatted(slug, remote.url("/a2a"))), HttpStatus.CREATED);
    String wf = unique("wf-a2a");
    api.workflow(wf, json("{'steps': [{'name': 'review', 'agent': '" + slug + "', 'input': {'pr': 7}, 'assign': 'review'}]}"));

    JsonNode done = api.awaitFinished(api.start(wf, json("{}")));

    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(done.path("output").path("review")).isEqualTo(json("{'verdict': 'approve', 'pr': 7}"));
    assertThat(polls.get()).isEqualTo(1);
    JsonNode send = remote.requests("/a2a").get(0).body();
    assertThat(send.path("method").asString()).isEqualTo("message/send");
    assertThat(send.path("params").path("message").path("role").asString()).isEqualTo("user");
    assertThat(send.path("params").path("message").path("parts").path(0))
        .isEqualTo(json("{'kind': 'data', 'data': {'pr': 7}}"));
  }

  // ---------------------------------------------------------------- SQL helpers

  private static List<String> rows(String sql) throws Exception {
    return DbRows.of(db, sql);
  }

  private static List<String> row(String sql) throws Exception {
    try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      assertThat(rs.next()).as("a row for " + sql).isTrue();
      List<String> row = new ArrayList<>();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        row.add(rs.getString(i));
      }
      assertThat(rs.next()).as("only one row for " + sql).isFalse();
      return row;
    }
  }

  private static String single(String sql) throws Exception {
    List<String> rows = rows(sql);
    return rows.isEmpty() ? null : rows.get(0);
  }
}

package dev.orca.orchestrator.agent;

import static dev.orca.orchestrator.agent.AgentApi.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.agent.ProviderWire.Move;
import dev.orca.orchestrator.execution.OrchestratorProcess;
import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * A replica killed (-9) while its agent run waits on a tool call: another replica takes the step over, the
 * dead run and its tool call are closed as interrupted, and the new run answers. This JVM only serves the
 * API (its engine is off); the victim and the survivor are separate orchestrator JVMs.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AgentFaultIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("agent_fault");
  static final LocalMcpServer mcp = LocalMcpServer.start();
  static final LocalHttpServer provider = new LocalHttpServer();
  static final String LEASE = "2s";
  static final String SURVIVOR_LEASE = "20s";

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    registry.add("orca.api.tokens", () -> "test-token");
    registry.add("orca.gateway.url", mcp::url);
    registry.add("orca.engine.enabled", () -> "false");
  }

  @AfterAll
  static void stopServers() {
    mcp.close();
    provider.close();
  }

  @LocalServerPort int port;

  @Test
  void aRunCutByAReplicaDyingIsClosedAsInterruptedAndTheStepRunsAgain() throws Exception {
    AgentApi api = new AgentApi(port, "test-token");
    mcp.tool("slow.wait", ToolScript.never());
    AtomicInteger calls = new AtomicInteger();
    provider.on("/v1/chat/completions", s -> Mono.just(calls.incrementAndGet() == 1
        ? ProviderWire.openai(Move.call("slow__wait", json("{}")), "k1", 10, 2)
        : ProviderWire.openai(Move.answer("done after the takeover"), "k2", 12, 4)));
    api.send("POST", "/api/v1/organizations", json("{'slug': 'ops', 'name': 'Ops'}"), HttpStatus.CREATED);
    api.send("POST", "/api/v1/agents", json("""
        {'slug': 'waiter', 'organizations': ['ops'], 'name': 'Waiter', 'description': 'Waits on a slow tool',
         'agentType': 'context', 'department': 'ops', 'capabilities': ['slow'], 'context': 'Wait.', 'ioSchema': {},
         'llmConfig': {'provider': 'openai', 'model': 'gpt-test', 'baseUrl': '%s'}}""".formatted(provider.url("/v1"))),
        HttpStatus.CREATED);
    api.workflow("wait-for-it", json("{'steps': [{'name': 'wait', 'agent': 'waiter', 'input': {'q': 'x'}, 'assign': 'a'}]}"));

    String id;
    try (OrchestratorProcess victim = OrchestratorProcess.start(db, mcp.url(), "victim",
        "--orca.engine.lease=" + LEASE, "--orca.engine.poll-interval=200ms")) {
      id = api.start("wait-for-it", json("{}"));
      await().atMost(Duration.ofSeconds(60)).until(() -> mcp.inFlightCalls() > 0);
      victim.kill();
    }
    // The victim's lease is short so the takeover comes soon; the survivor's is long, so a survivor starved
    // of CPU on a loaded machine does not lose its own lease mid-run (that would count a second retry).
    try (OrchestratorProcess survivor = OrchestratorProcess.start(db, mcp.url(), "survivor",
        "--orca.engine.lease=" + SURVIVOR_LEASE, "--orca.engine.poll-interval=200ms")) {
      JsonNode done = api.awaitFinished(id);
      assertThat(done.path("status").asString()).isEqualTo("completed");
      assertThat(done.path("output").path("a").asString()).isEqualTo("done after the takeover");
      assertThat(done.path("steps").get(0).path("retryCount").asInt()).isEqualTo(1);
    }

    List<String> runs = rows("SELECT coalesce(error, 'ok') || ' ' || (completed_at IS NOT NULL) FROM agent_runs "
        + "WHERE execution_id = '" + id + "' ORDER BY started_at");
    assertThat(runs).containsExactly(
        "interrupted: the replica running it stopped before it ended true", "ok true");
    assertThat(rows("SELECT t.status || ' ' || t.outcome || ' ' || t.error FROM mcp_tool_calls t "
        + "JOIN agent_runs r ON r.id = t.agent_run_id WHERE r.execution_id = '" + id + "'"))
        .singleElement().asString().startsWith("failed upstream_error interrupted:");
    assertThat(calls.get()).isEqualTo(2);
  }

  private static List<String> rows(String sql) throws Exception {
    return DbRows.of(db, sql);
  }
}

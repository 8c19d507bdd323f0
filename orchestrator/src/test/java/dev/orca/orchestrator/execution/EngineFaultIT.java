package dev.orca.orchestrator.execution;

import static dev.orca.orchestrator.execution.OrcaApiClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Two engine replicas on one database: this test's JVM ("survivor") and a second orchestrator JVM
 * that is killed with kill -9 mid-step. Nothing is lost, and no completed step runs twice.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EngineFaultIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("engine_fault");
  static final LocalMcpServer mcp = LocalMcpServer.start();
  static final String LEASE = "2s";

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    registry.add("orca.api.tokens", () -> OrcaApiClient.TOKEN);
    registry.add("orca.gateway.url", mcp::url);
    registry.add("orca.engine.owner", () -> "survivor");
    registry.add("orca.engine.lease", () -> LEASE);
    registry.add("orca.engine.poll-interval", () -> "500ms");
  }

  @AfterAll
  static void stopServer() {
    mcp.close();
  }

  @LocalServerPort int port;

  @Test
  void aReplicaKilledMidStepIsTakenOverAndNoCompletedStepRunsAgain() throws Exception {
    OrcaApiClient api = new OrcaApiClient(port);
    mcp.tool("fault.quick", args -> Mono.just(ToolScript.text("quick")));
    mcp.tool("fault.slow", ToolScript.delayed(Duration.ofMillis(1500), ToolScript.text("slow")));
    api.createWorkflow("takeover", json("""
        {'steps': [{'name': 'first', 'tool': 'fault.quick', 'params': {}},
                   {'name': 'second', 'tool': 'fault.slow', 'params': {}},
                   {'name': 'third', 'tool': 'fault.quick', 'params': {}}]}"""));

    List<String> ids = new ArrayList<>();
    try (OrchestratorProcess victim = OrchestratorProcess.start(db, mcp.url(), "victim",
        "--orca.engine.lease=" + LEASE, "--orca.engine.poll-interval=200ms")) {
      // Started through the victim's API, so its engine (woken at once) runs them: start executions in
      // rounds until the victim holds one with the slow step in flight, then kill it.
      OrcaApiClient victimApi = victim.api();
      for (int round = 0; round < 30 && !victimMidStep(); round++) {
        for (int i = 0; i < 10; i++) {
          ids.add(victimApi.start("takeover", json("{'n': " + ids.size() + "}")).path("id").asString());
        }
        long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (!victimMidStep() && System.nanoTime() < until) {
          Thread.sleep(20);
        }
      }
      assertThat(victimMidStep()).as("the victim holds an execution mid-step").isTrue();
      victim.kill();
    }

    for (String id : ids) {
      JsonNode done = api.awaitFinished(id);
      assertThat(done.path("status").asString()).as("execution %s", id).isEqualTo("completed");
    }
    String ofTakeover = " AND execution_id IN (SELECT e.id FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id WHERE w.name = 'takeover')";
    List<String> interrupted = query("SELECT execution_id FROM workflow_steps WHERE step_name = 'second' AND retry_count > 0" + ofTakeover);
    assertThat(interrupted).as("steps in flight at the kill were attempted again, recorded as retries").isNotEmpty();

    // What the tool server saw: a step reached it again only when that attempt is recorded as a retry
    // (it was in flight when the victim died); a step that completed was never called again.
    Map<String, Integer> callsPerStep = new HashMap<>();
    for (JsonNode call : mcp.calls()) {
      String key = call.path("_meta").path("dev.orca/executionId").asString() + "/" + call.path("_meta").path("dev.orca/stepName").asString();
      callsPerStep.merge(key, 1, Integer::sum);
    }
    for (String row : query("SELECT execution_id || '/' || step_name || '=' || retry_count FROM workflow_steps WHERE true" + ofTakeover)) {
      String step = row.substring(0, row.indexOf('='));
      int retries = Integer.parseInt(row.substring(row.indexOf('=') + 1));
      assertThat(callsPerStep.getOrDefault(step, 0)).as("calls of %s (retries %d)", step, retries).isBetween(1, retries + 1);
    }
    assertThat(query("SELECT count(*) FROM (SELECT execution_id, payload -> 'step' ->> 'name' FROM execution_outbox "
        + "WHERE event_type = 'dev.orca.step.completed'" + ofTakeover + " GROUP BY 1, 2 HAVING count(*) > 1) twice"))
        .as("no step completed twice").containsExactly("0");
    assertThat(query("SELECT count(*) FROM execution_outbox WHERE event_type = 'dev.orca.step.completed'" + ofTakeover))
        .as("one completion event per step").containsExactly(String.valueOf(ids.size() * 3));
    assertThat(query("SELECT count(*) FROM mcp_tool_calls WHERE status = 'started'" + ofTakeover))
        .as("no call row is left open").containsExactly("0");
    assertThat(query("SELECT count(*) FROM mcp_tool_calls WHERE outcome = 'upstream_error' AND error LIKE 'interrupted:%'" + ofTakeover))
        .as("each call in flight at the kill is recorded as interrupted")
        .containsExactly(query("SELECT sum(retry_count)::text FROM workflow_steps WHERE true" + ofTakeover).get(0));
    assertThat(query("SELECT count(*) FROM mcp_tool_calls WHERE status = 'completed'" + ofTakeover))
        .as("one completed call row per step").containsExactly(String.valueOf(ids.size() * 3));
  }

  @Test
  void fiveHundredExecutionsAcrossTwoReplicasRunOnceEach() throws Exception {
    OrcaApiClient api = new OrcaApiClient(port);
    mcp.tool("bulk.a", args -> Mono.just(ToolScript.text("a")));
    mcp.tool("bulk.b", args -> Mono.just(ToolScript.text("b")));
    api.createWorkflow("bulk", json("""
        {'steps': [{'name': 'a', 'tool': 'bulk.a', 'params': {}}, {'name': 'b', 'tool': 'bulk.b', 'params': {}}]}"""));
    try (OrchestratorProcess other = OrchestratorProcess.start(db, mcp.url(), "other")) {
      // Started through both replicas' APIs, as behind a load balancer; each may also claim the other's.
      OrcaApiClient otherApi = other.api();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        ids.add((i % 2 == 0 ? api : otherApi).start("bulk", json("{}")).path("id").asString());
      }
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250)).until(() ->
          query("SELECT count(*) FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id WHERE w.name = 'bulk' AND e.status = 'completed'")
              .get(0).equals("500"));

      Map<String, Integer> calls = new HashMap<>();
      for (JsonNode call : mcp.calls()) {
        String execution = call.path("_meta").path("dev.orca/executionId").asString();
        if (ids.contains(execution)) {
          calls.merge(execution + "/" + call.path("_meta").path("dev.orca/stepName").asString(), 1, Integer::sum);
        }
      }
      assertThat(calls).hasSize(1000);
      assertThat(calls.values()).as("no step ran twice").allMatch(n -> n == 1);
      assertThat(stepsFinished(other.metrics())).as("steps the other replica ran").isPositive();
      assertThat(stepsFinished(api.http().get().uri("/actuator/prometheus").exchange()
          .expectBody(String.class).returnResult().getResponseBody())).as("steps this replica ran").isPositive();
    }
  }

  @Test
  void cancellingReachesTheReplicaThatRunsTheExecution() throws Exception {
    OrcaApiClient api = new OrcaApiClient(port);
    mcp.tool("remote.hang", ToolScript.never());
    api.createWorkflow("remote-cancel", json("{'steps': [{'name': 'hang', 'tool': 'remote.hang', 'params': {}}]}"));
    try (OrchestratorProcess remote = OrchestratorProcess.start(db, mcp.url(), "remote")) {
      List<String> ids = new ArrayList<>();
      String onRemote = null;
      // Started through the other JVM's API, so its engine (woken at once) runs them; cancelled through this one.
      OrcaApiClient remoteApi = remote.api();
      for (int i = 0; i < 30 && onRemote == null; i++) {
        String id = remoteApi.start("remote-cancel", json("{}")).path("id").asString();
        ids.add(id);
        api.awaitStepRunning(id, 0);
        if (query("SELECT lease_owner FROM workflow_executions WHERE id = '" + id + "'").contains("remote")) {
          onRemote = id;
        }
      }
      assertThat(onRemote).as("an execution held by the other JVM").isNotNull();
      String target = onRemote;
      // The step is marked running before its call reaches the tool server: cancel once the call is there.
      await().atMost(Duration.ofSeconds(10)).until(() -> mcp.calls().stream()
          .anyMatch(c -> target.equals(c.path("_meta").path("dev.orca/executionId").asString())));
      int disconnectedBefore = mcp.disconnectedCalls();

      api.http().post().uri("/api/v1/executions/" + onRemote + "/cancel").exchange().expectStatus().isAccepted();
      JsonNode done = api.awaitFinished(onRemote);
      assertThat(done.path("status").asString()).isEqualTo("cancelled");
      assertThat(done.path("steps").get(0).path("status").asString()).isEqualTo("cancelled");
      await().atMost(Duration.ofSeconds(10)).until(() -> mcp.disconnectedCalls() > disconnectedBefore);
      for (String id : ids) {
        api.http().post().uri("/api/v1/executions/" + id + "/cancel").exchange();
      }
    }
  }

  private static boolean victimMidStep() throws Exception {
    return Integer.parseInt(query("""
        SELECT count(*) FROM workflow_steps s JOIN workflow_executions e ON e.id = s.execution_id
        WHERE e.lease_owner = 'victim' AND s.step_name = 'second' AND s.status = 'running'""").get(0)) > 0;
  }

  /** Sum of orca_steps_finished_total for the bulk workflow in one replica's Prometheus text. */
  private static double stepsFinished(String prometheus) {
    return prometheus.lines()
        .filter(l -> l.startsWith("orca_steps_finished_total{") && l.contains("workflow=\"bulk\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static List<String> query(String sql) throws Exception {
    try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      List<String> rows = new ArrayList<>();
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
      return rows;
    }
  }
}

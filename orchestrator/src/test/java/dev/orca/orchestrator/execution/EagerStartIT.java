package dev.orca.orchestrator.execution;

import static dev.orca.orchestrator.execution.OrcaApiClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.engine.Engine;
import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.JsonNode;

/**
 * API starts on a replica whose engine has room are created already claimed by it (an eager start);
 * when it is full they are created pending and claimed as usual. One execution slot makes both visible.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EagerStartIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("eager_start");
  static final LocalMcpServer mcp = LocalMcpServer.start();
  static final String OWNER = "eager-start-it";

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    registry.add("orca.api.tokens", () -> OrcaApiClient.TOKEN);
    registry.add("orca.gateway.url", mcp::url);
    registry.add("orca.engine.owner", () -> OWNER);
    registry.add("orca.engine.max-concurrent", () -> "1");
    registry.add("orca.engine.poll-interval", () -> "1s");
  }

  @AfterAll
  static void stopServer() {
    mcp.close();
  }

  @LocalServerPort int port;
  @Autowired EngineLifecycle engine;
  OrcaApiClient api;

  @BeforeEach
  void client() {
    api = new OrcaApiClient(port);
  }

  @Test
  void aStartRunsHereAtOnceWhileTheEngineHasRoomAndWaitsForAClaimWhenItIsFull() throws Exception {
    Sinks.Empty<Void> gate = Sinks.empty();
    mcp.tool("hold.gate", args -> gate.asMono().then(Mono.just(ToolScript.structured(json("{'ok': true}")))));
    api.createWorkflow("held", json("{'steps': [{'name': 'wait', 'tool': 'hold.gate', 'params': {}}]}"));
    awaitFreeSlot();

    JsonNode first = api.start("held", json("{}"));
    assertThat(first.path("status").asString()).as("created running, not pending").isEqualTo("running");
    assertThat(first.path("startedAt").asString()).as("claimed by the start itself").isEqualTo(first.path("createdAt").asString());
    String firstId = first.path("id").asString();
    assertThat(query("SELECT lease_owner || ' ' || (lease_expires_at > now()) FROM workflow_executions WHERE id = '" + firstId + "'"))
        .containsExactly(OWNER + " true");
    api.awaitStepRunning(firstId, 0);

    JsonNode second = api.start("held", json("{}"));
    assertThat(second.path("status").asString()).as("the only slot is taken: pending, for a claim").isEqualTo("pending");
    String secondId = second.path("id").asString();
    assertThat(query("SELECT coalesce(lease_owner, '-') FROM workflow_executions WHERE id = '" + secondId + "'")).containsExactly("-");

    gate.tryEmitEmpty();
    assertThat(api.awaitFinished(firstId).path("status").asString()).isEqualTo("completed");
    JsonNode secondDone = api.awaitFinished(secondId);
    assertThat(secondDone.path("status").asString()).isEqualTo("completed");
    assertThat(Instant.parse(secondDone.path("startedAt").asString()))
        .as("claimed after the first finished")
        .isAfter(Instant.parse(secondDone.path("createdAt").asString()));
    for (String id : List.of(firstId, secondId)) {
      assertThat(query("SELECT event_type FROM execution_outbox WHERE execution_id = '" + id + "' ORDER BY id")).containsExactly(
          "dev.orca.execution.started", "dev.orca.step.started", "dev.orca.step.completed", "dev.orca.execution.completed");
    }
  }

  @Test
  void aStartThatCreatesNothingGivesItsSlotBack() throws Exception {
    mcp.tool("quick.echo", ToolScript.echo());
    api.createWorkflow("quick", json("{'steps': [{'name': 'echo', 'tool': 'quick.echo', 'params': {'n': 1}}]}"));
    api.createWorkflow("switched-off", json("{'steps': [{'name': 'echo', 'tool': 'quick.echo', 'params': {}}]}"));
    api.http().delete().uri("/api/v1/workflows/switched-off").exchange().expectStatus().isNoContent();
    awaitFreeSlot();
    String id = api.start("quick", json("{}"), "once", HttpStatus.ACCEPTED).path("id").asString();
    api.awaitFinished(id);

    for (int i = 0; i < 3; i++) {
      awaitFreeSlot();
      assertThat(api.start("quick", json("{}"), "once", HttpStatus.OK).path("id").asString()).isEqualTo(id);
      api.start("no-such-workflow", json("{}"), null, HttpStatus.NOT_FOUND);
      api.start("switched-off", json("{}"), null, HttpStatus.CONFLICT);
    }

    awaitFreeSlot();
    JsonNode next = api.start("quick", json("{}"));
    assertThat(next.path("status").asString()).as("the one slot is still free after nine starts that created nothing")
        .isEqualTo("running");
    assertThat(api.awaitFinished(next.path("id").asString()).path("status").asString()).isEqualTo("completed");
  }

  @Test
  void workStartedWhileEverySlotIsReservedIsClaimedOnceTheReservationIsReleased() throws Exception {
    mcp.tool("late.echo", ToolScript.echo());
    api.createWorkflow("late", json("{'steps': [{'name': 'echo', 'tool': 'late.echo', 'params': {'n': 2}}]}"));
    awaitFreeSlot();
    Engine.Reservation held = engine.reserve().orElseThrow();
    JsonNode started;
    try {
      // Its wake-up claims with no slot free: the round must end quietly (it once re-claimed at once, forever).
      started = api.start("late", json("{}"));
      assertThat(started.path("status").asString()).isEqualTo("pending");
      engine.wake();
    } finally {
      held.release();
    }
    assertThat(api.awaitFinished(started.path("id").asString()).path("status").asString()).isEqualTo("completed");
  }

  /**
   * Waits until the engine would take an eager start: its slot free and no backlog flag left from a
   * claim that filled it (the next claim round, at most a poll interval away, clears it).
   */
  private void awaitFreeSlot() {
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      Optional<Engine.Reservation> slot = engine.reserve();
      slot.ifPresent(Engine.Reservation::release);
      return slot.isPresent();
    });
  }

  private static List<String> query(String sql) throws Exception {
    return db.column(sql);
  }
}

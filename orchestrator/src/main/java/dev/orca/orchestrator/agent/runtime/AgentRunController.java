package dev.orca.orchestrator.agent.runtime;

import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code GET /api/v1/executions/{id}/agent-runs}: the execution's agent runs, each with usage, cost and tool calls. */
@RestController
class AgentRunController {
  private final AgentRunStore runs;

  AgentRunController(AgentRunStore runs) {
    this.runs = runs;
  }

  @GetMapping("/api/v1/executions/{id}/agent-runs")
  Mono<List<AgentRunView>> agentRuns(@PathVariable UUID id) {
    return runs.executionExists(id).flatMap(found -> {
      if (!found) {
        ErrorResponseException e = new ErrorResponseException(HttpStatus.NOT_FOUND);
        e.getBody().setTitle("Execution not found");
        e.getBody().setDetail("No execution with id " + id + ".");
        return Mono.error(e);
      }
      return runs.forExecution(id).collectList();
    });
  }
}

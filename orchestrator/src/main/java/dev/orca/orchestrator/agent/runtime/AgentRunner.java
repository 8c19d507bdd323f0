package dev.orca.orchestrator.agent.runtime;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Runs one agent type ({@link #type()}: context, api or external). Emits the agent's raw answer (text as a
 * string node, or JSON); the runtime then shapes and checks it against {@code io_schema.output}. Usage and
 * tool calls go to the run's {@link Ledger} as they happen, so a failed or cancelled run still records them.
 * Errors are {@code StepFailure}s; cancelling the subscription stops the request in flight.
 */
public interface AgentRunner {
  String type();

  Mono<JsonNode> run(AgentRun run);
}

package dev.orca.orchestrator.engine;

import java.time.Duration;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/** One agent run of one step attempt: the agent's slug and the step's resolved {@code input}. */
public record AgentInvocation(
    UUID executionId,
    UUID stepId,
    String stepName,
    int attempt,
    String agent,
    JsonNode input,
    Duration timeout) {}

package dev.orca.orchestrator.agent.runtime;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/** One {@code agent_runs} row as the API shows it; tokens and cost are null when the provider reported no usage. */
public record AgentRunView(UUID id, String stepName, String agent, String agentType, String model, Integer promptTokens,
    Integer completionTokens, Integer totalTokens, BigDecimal costUsd, Integer durationMs, JsonNode input,
    JsonNode output, JsonNode toolCalls, String error, OffsetDateTime startedAt, OffsetDateTime completedAt) {}

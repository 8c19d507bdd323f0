package dev.orca.orchestrator.engine;

import tools.jackson.databind.JsonNode;

/**
 * An agent's answer. {@code output} is what the step binds with {@code assign} (JSON when the agent's
 * {@code io_schema} says so, else text); {@code record} is what the step keeps as its {@code output}
 * (the answer with the run's id, model and usage).
 */
public record AgentResult(JsonNode output, JsonNode record) {}

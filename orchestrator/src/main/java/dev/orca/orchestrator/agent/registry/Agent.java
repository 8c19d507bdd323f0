package dev.orca.orchestrator.agent.registry;

import java.time.OffsetDateTime;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A registered agent (seed 003). {@code agentType} is {@value AgentRules#CONTEXT} (an LLM conversation:
 * {@code llmConfig}, no {@code endpoint}), {@value AgentRules#API} (an HTTP call) or
 * {@value AgentRules#EXTERNAL} (an A2A agent); the last two have an {@code endpoint} and no
 * {@code llmConfig}. {@code ioSchema} holds JSON Schemas for the run's {@code input} and {@code output}.
 */
public record Agent(String slug, List<String> organizations, String name, String description, String version,
    String agentType, String department, List<String> tags, JsonNode ioSchema, List<String> capabilities,
    String context, JsonNode endpoint, JsonNode llmConfig, JsonNode metadata, OffsetDateTime createdAt,
    OffsetDateTime updatedAt) {}

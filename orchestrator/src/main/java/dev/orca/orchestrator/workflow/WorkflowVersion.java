package dev.orca.orchestrator.workflow;

import java.time.OffsetDateTime;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/** One version of a workflow's definition, as an execution that started on it runs it. */
public record WorkflowVersion(UUID workflowId, String name, int version, JsonNode definition, OffsetDateTime createdAt) {}

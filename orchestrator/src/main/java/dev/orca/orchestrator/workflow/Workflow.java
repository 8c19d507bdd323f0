package dev.orca.orchestrator.workflow;

import java.time.OffsetDateTime;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/** A workflow as stored: its current definition and version. Also the API's response body. */
public record Workflow(UUID id, String name, String description, int version, boolean enabled, JsonNode definition,
    OffsetDateTime createdAt, OffsetDateTime updatedAt) {}

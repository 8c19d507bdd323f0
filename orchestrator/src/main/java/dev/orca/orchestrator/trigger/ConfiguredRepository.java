package dev.orca.orchestrator.trigger;

import java.time.OffsetDateTime;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * A {@code repositories} row, also the API's body. {@code config.auto_workflows} maps GitHub event names
 * such as {@code issue_opened} to the workflow an event of this repository starts (see {@link Router}).
 */
public record ConfiguredRepository(UUID id, String owner, String name, String fullName, String defaultBranch,
    boolean enabled, JsonNode config, OffsetDateTime createdAt, OffsetDateTime updatedAt) {}

package dev.orca.orchestrator.agent.registry;

import java.time.OffsetDateTime;
import tools.jackson.databind.JsonNode;

/** A tenant; agents belong to one or more organizations by slug. */
public record Organization(String slug, String name, String description, String url, JsonNode settings,
    OffsetDateTime createdAt, OffsetDateTime updatedAt) {}

package dev.orca.orchestrator.engine;

import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An execution this replica now holds the lease on: what it runs (the definition version it started
 * with), where it stands, and its context ({@code input}, trigger data, every earlier {@code assign}).
 */
public record ClaimedExecution(
    UUID id,
    String workflow,
    int workflowVersion,
    JsonNode definition,
    ObjectNode context,
    int currentStepIndex,
    boolean cancelRequested,
    Instant timeoutAt,
    Instant createdAt) {}

package dev.orca.orchestrator.engine;

import java.time.Duration;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * One tool call of one step attempt. {@code attempt} is 1 for the first try. The call carries
 * {@code _meta} naming execution, step and attempt so the gateway can correlate it and does not audit
 * it a second time.
 */
public record ToolInvocation(
    UUID executionId,
    UUID stepId,
    String stepName,
    int attempt,
    String server,
    String tool,
    JsonNode arguments,
    Duration timeout) {}

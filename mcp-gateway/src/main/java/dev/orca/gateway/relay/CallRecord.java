package dev.orca.gateway.relay;

import dev.orca.common.toolcall.ToolCallOutcome;
import java.time.Instant;
import tools.jackson.databind.JsonNode;

/**
 * A finished external call, as the audit stores it.
 *
 * @param server the server part of the name (the whole name when it has no separator)
 * @param tool the tool part of the name (empty when the name has no separator)
 * @param arguments the arguments, with secret-looking values redacted
 * @param result the {@code CallToolResult}, or null when the call ended without one
 * @param error why the call ended without a result, or null
 */
public record CallRecord(
    String server,
    String tool,
    JsonNode arguments,
    JsonNode result,
    String error,
    ToolCallOutcome outcome,
    Instant startedAt,
    Instant completedAt,
    long durationMs) {}

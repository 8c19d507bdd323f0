package dev.orca.orchestrator.engine;

import java.time.Instant;
import java.util.UUID;

/**
 * A failed attempt of step {@code stepIndex} that will be tried again at {@code at}; {@code toolCall} is
 * how the attempt's tool call ended (null when it made none).
 */
public record StepRetry(UUID executionId, String owner, int stepIndex, String error, long durationMs, Instant at,
    ToolCallEnding toolCall) {}

package dev.orca.orchestrator.engine;

import java.time.Instant;
import java.util.UUID;

/** A failed attempt of step {@code stepIndex} that will be tried again at {@code at}. */
public record StepRetry(UUID executionId, String owner, int stepIndex, String error, long durationMs, Instant at) {}

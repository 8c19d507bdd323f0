package dev.orca.orchestrator.engine;

import java.util.UUID;

/**
 * A step attempt that has begun. {@code attempt} is {@code retryCount + 1}; {@code interrupted} says
 * the previous attempt was still in flight when its replica lost the lease (it counts as a retry).
 */
public record StepStart(UUID stepId, int attempt, boolean interrupted) {
  public int retryCount() {
    return attempt - 1;
  }
}

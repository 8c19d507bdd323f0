package dev.orca.orchestrator.engine;

import java.time.Duration;

/**
 * How one engine replica works: its lease owner name, lease length (renewed every third of it while
 * a step runs), the safety-net poll, how many executions it runs at once, the step timeout used when a
 * step names none, and how long an orderly stop waits for running steps.
 */
public record EngineSettings(
    String owner,
    Duration lease,
    Duration pollInterval,
    int maxConcurrent,
    Duration defaultStepTimeout,
    Duration drainTimeout) {}

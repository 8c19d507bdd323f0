package dev.orca.orchestrator.definition;

import tools.jackson.databind.node.ObjectNode;

/**
 * One step of a workflow: a {@link ToolStep} or an {@link AgentStep}.
 *
 * <p>Every step has a unique {@link #name()}; optionally {@link #assign()} (the context root its
 * result is bound to, visible to later steps), {@link #when()} (a CEL condition; false → skipped),
 * {@link #timeoutMs()} (per attempt) and {@link #retry()} (null: the workflow's
 * {@link ErrorHandling#defaultRetry()} applies; when given it is already merged over that default).
 */
public sealed interface StepDefinition permits ToolStep, AgentStep {
  String name();

  /** Nullable. */
  String assign();

  /** Nullable. */
  String when();

  /** Nullable: no step-level timeout. */
  Long timeoutMs();

  /** Nullable: then {@link ErrorHandling#defaultRetry()} applies. */
  RetryPolicy retry();

  /** {@code tool} or {@code agent}; the {@code kind} metric label. */
  String kind();

  /** The retry policy in force: this step's, else the workflow's. */
  default RetryPolicy effectiveRetry(ErrorHandling errorHandling) {
    return retry() != null ? retry() : errorHandling.defaultRetry();
  }

  ObjectNode toJson();

  /** The fields every kind shares, written after the kind-specific ones. */
  static void writeCommon(StepDefinition step, ObjectNode json) {
    if (step.assign() != null) {
      json.put("assign", step.assign());
    }
    if (step.when() != null) {
      json.put("when", step.when());
    }
    if (step.timeoutMs() != null) {
      json.put("timeoutMs", step.timeoutMs().longValue());
    }
    if (step.retry() != null) {
      json.set("retry", step.retry().toJson());
    }
  }
}

package dev.orca.orchestrator.definition;

import tools.jackson.databind.JsonNode;

/** A compiled {@code when} expression. */
public interface Condition {
  /**
   * Evaluates against the execution context (an object whose properties are the roots).
   *
   * @throws ConditionException if evaluation fails (e.g. a missing key) or the result is not a boolean
   */
  boolean test(JsonNode context);
}

package dev.orca.orchestrator.definition;

/** A {@code when} expression that does not compile, or that failed or did not give a boolean when evaluated. */
public final class ConditionException extends RuntimeException {
  public ConditionException(String message) {
    super(message);
  }

  public ConditionException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.orca.orchestrator.engine;

/**
 * Why a step attempt failed, and whether trying again may help. Timeouts and transport failures are
 * retryable; a tool result with {@code isError}, a validation failure or a missing path are not
 * (unless the step's retry policy says otherwise).
 */
public final class StepFailure extends RuntimeException {
  public enum Kind { TIMEOUT, TRANSPORT, TOOL_ERROR, PROTOCOL, MISSING_PATH, VALIDATION, CONDITION, UNSUPPORTED, INTERRUPTED }

  private final Kind kind;

  public StepFailure(Kind kind, String message) {
    this(kind, message, null);
  }

  public StepFailure(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public boolean retryable() {
    return kind == Kind.TIMEOUT || kind == Kind.TRANSPORT || kind == Kind.INTERRUPTED;
  }
}

package dev.orca.orchestrator.engine;

import java.time.Duration;

/**
 * Why a step attempt failed, and whether trying again may help. Timeouts and transport failures are
 * retryable; a tool result with {@code isError}, a validation failure or a missing path are not
 * (unless the step's retry policy says otherwise).
 */
public final class StepFailure extends RuntimeException {
  public enum Kind { TIMEOUT, TRANSPORT, TOOL_ERROR, PROTOCOL, MISSING_PATH, VALIDATION, CONDITION, UNSUPPORTED, INTERRUPTED,
    /** An agent ended without an acceptable answer (turn limit, refusal, failed remote task); not retried. */
    AGENT_ERROR }

  private final Kind kind;
  private final Duration retryAfter;

  public StepFailure(Kind kind, String message) {
    this(kind, message, null);
  }

  public StepFailure(Kind kind, String message, Throwable cause) {
    this(kind, message, cause, null);
  }

  /** @param retryAfter how long the far side asked to wait before trying again (HTTP Retry-After), or null */
  public StepFailure(Kind kind, String message, Throwable cause, Duration retryAfter) {
    super(message, cause, false, false);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }

  /** The wait the far side asked for, or null; a retry waits at least this long (within the policy's cap). */
  public Duration retryAfter() {
    return retryAfter;
  }

  public Kind kind() {
    return kind;
  }

  public boolean retryable() {
    return kind == Kind.TIMEOUT || kind == Kind.TRANSPORT || kind == Kind.INTERRUPTED;
  }
}

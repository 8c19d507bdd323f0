package dev.orca.orchestrator.engine;

/** How one tool call ended: its {@code mcp_tool_calls} {@code status} and {@code outcome}. */
public enum ToolCallOutcome {
  SUCCESS("completed", "success"),
  TOOL_ERROR("completed", "tool_error"),
  UPSTREAM_ERROR("failed", "upstream_error"),
  REJECTED("failed", "rejected"),
  TIMEOUT("failed", "timeout"),
  CANCELLED("cancelled", "cancelled");

  private final String status;
  private final String outcome;

  ToolCallOutcome(String status, String outcome) {
    this.status = status;
    this.outcome = outcome;
  }

  public String status() {
    return status;
  }

  public String outcome() {
    return outcome;
  }

  /** A failure on the way to the tool: timeouts, transport failures, and the rest (rejected). */
  static ToolCallOutcome of(StepFailure failure) {
    return switch (failure.kind()) {
      case TIMEOUT -> TIMEOUT;
      case TRANSPORT, INTERRUPTED -> UPSTREAM_ERROR;
      default -> REJECTED;
    };
  }
}

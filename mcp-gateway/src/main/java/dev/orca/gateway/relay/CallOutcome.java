package dev.orca.gateway.relay;

/** How a relayed call ended: the {@code outcome} metric label and the audit row's status and outcome. */
public enum CallOutcome {
  SUCCESS("completed", "success"),
  TOOL_ERROR("completed", "tool_error"),
  UPSTREAM_ERROR("failed", "upstream_error"),
  REJECTED("failed", "rejected"),
  TIMEOUT("failed", "timeout"),
  CANCELLED("cancelled", "cancelled");

  private final String status;
  private final String outcome;

  CallOutcome(String status, String outcome) {
    this.status = status;
    this.outcome = outcome;
  }

  /** {@code mcp_tool_calls.status} (V2 CHECK constraint). */
  public String status() {
    return status;
  }

  /** {@code mcp_tool_calls.outcome} (V2 CHECK constraint) and the metric label. */
  public String label() {
    return outcome;
  }
}

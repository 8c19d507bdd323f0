package dev.orca.common.toolcall;

/**
 * How one MCP tool call ended, in the vocabulary of {@code mcp_tool_calls} (V2 CHECK constraints): its
 * {@code status} and {@code outcome}. The orchestrator records its calls with it and the gateway audits and
 * labels the calls it relays with it ({@code orca_gateway_tool_calls_total{outcome}}).
 */
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

  /** {@code mcp_tool_calls.status}. */
  public String status() {
    return status;
  }

  /** {@code mcp_tool_calls.outcome}, also the gateway's metric label. */
  public String outcome() {
    return outcome;
  }
}

package dev.orca.gateway.relay;

import dev.orca.common.toolcall.ToolCallOutcome;
import tools.jackson.databind.JsonNode;

/** A tool call the relay could not carry out; {@link Reason} says why (and how the caller is told). */
public final class RelayException extends RuntimeException {

  /** Why a call failed; each is a distinct JSON-RPC error (see the module README). */
  public enum Reason {
    /** No upstream with that prefix, or the upstream has no such tool: -32602, outcome {@code rejected}. */
    UNKNOWN_TOOL(ToolCallOutcome.REJECTED),
    /** The server is registered but disabled: outcome {@code rejected}. */
    SERVER_DISABLED(ToolCallOutcome.REJECTED),
    /** The upstream's circuit breaker is open after repeated failures: outcome {@code rejected}. */
    CIRCUIT_OPEN(ToolCallOutcome.REJECTED),
    /** The upstream's concurrency limit is reached: outcome {@code rejected}. */
    OVERLOADED(ToolCallOutcome.REJECTED),
    /** The upstream did not answer in time: outcome {@code timeout}. */
    TIMEOUT(ToolCallOutcome.TIMEOUT),
    /** The upstream failed to answer (not a tool error, which is a result with isError): -32603. */
    UPSTREAM_ERROR(ToolCallOutcome.UPSTREAM_ERROR),
    /** The upstream answered with a JSON-RPC error of its own, passed on with its code. */
    UPSTREAM_RPC_ERROR(ToolCallOutcome.UPSTREAM_ERROR);

    private final ToolCallOutcome outcome;

    Reason(ToolCallOutcome outcome) {
      this.outcome = outcome;
    }

    public ToolCallOutcome outcome() {
      return outcome;
    }
  }

  private final Reason reason;
  private final String tool;
  private final JsonNode upstreamError;

  public RelayException(Reason reason, String tool, String message) {
    this(reason, tool, message, null, null);
  }

  public RelayException(Reason reason, String tool, String message, Throwable cause) {
    this(reason, tool, message, cause, null);
  }

  private RelayException(Reason reason, String tool, String message, Throwable cause, JsonNode upstreamError) {
    super(message, cause, false, false);
    this.reason = reason;
    this.tool = tool;
    this.upstreamError = upstreamError;
  }

  public Reason reason() {
    return reason;
  }

  /** The tool name as the caller gave it (or, from an upstream, the upstream's own name until qualified). */
  public String tool() {
    return tool;
  }

  /** For {@link Reason#UPSTREAM_RPC_ERROR}: the upstream's JSON-RPC {@code error} object; else null. */
  public JsonNode upstreamError() {
    return upstreamError;
  }

  /** The same failure, reported for {@code qualifiedName}. */
  RelayException qualified(String qualifiedName) {
    return new RelayException(reason, qualifiedName, getMessage(), getCause(), upstreamError);
  }

  public static RelayException unknownTool(String qualifiedName) {
    return new RelayException(Reason.UNKNOWN_TOOL, qualifiedName, "Unknown tool '" + qualifiedName
        + "': call tools/list for the tools this gateway offers (named <server><separator><tool>)");
  }

  /** The upstream answered {@code error}; its code and message reach the caller. */
  public static RelayException upstreamRpcError(String server, String tool, JsonNode error) {
    return new RelayException(Reason.UPSTREAM_RPC_ERROR, tool, "Upstream '" + server + "' refused the call: "
        + error.path("message").asString("(no message)"), null, error);
  }
}

package dev.orca.gateway.relay;

/** A tool call the relay could not carry out; {@link Reason} says why (and how the caller is told). */
public final class RelayException extends RuntimeException {

  /** Why a call failed; each is a distinct JSON-RPC error (see the module README). */
  public enum Reason {
    /** No upstream with that prefix, or the upstream has no such tool: -32602, outcome {@code rejected}. */
    UNKNOWN_TOOL,
    /** The upstream failed to answer (not a tool error, which is a result with isError): -32603. */
    UPSTREAM_ERROR,
    /** The upstream did not answer in time: outcome {@code timeout}. */
    TIMEOUT
  }

  private final Reason reason;
  private final String tool;

  public RelayException(Reason reason, String tool, String message) {
    super(message, null, false, false);
    this.reason = reason;
    this.tool = tool;
  }

  public RelayException(Reason reason, String tool, String message, Throwable cause) {
    super(message, cause, false, false);
    this.reason = reason;
    this.tool = tool;
  }

  public Reason reason() {
    return reason;
  }

  /** The tool name as the caller gave it. */
  public String tool() {
    return tool;
  }

  public static RelayException unknownTool(String qualifiedName) {
    return new RelayException(Reason.UNKNOWN_TOOL, qualifiedName, "Unknown tool '" + qualifiedName
        + "': call tools/list for the tools this gateway offers (named <server><separator><tool>)");
  }
}

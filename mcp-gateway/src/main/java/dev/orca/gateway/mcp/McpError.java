package dev.orca.gateway.mcp;

import tools.jackson.databind.JsonNode;

/**
 * A request answered with a JSON-RPC error, with the HTTP status that carries it.
 *
 * <p>Codes (see the module README): -32700 parse error, -32600 invalid request, -32601 method not found,
 * -32602 invalid params (also an unknown tool), -32603 internal/upstream error, -32001 session not found
 * (legacy), -32010 server disabled, -32011 circuit open, -32012 upstream overloaded, -32013 upstream
 * timeout (the gateway's own, below MCP's reserved -32020..-32099), -32020 header mismatch, -32022
 * unsupported protocol version (modern), -32800 request cancelled.
 */
final class McpError extends RuntimeException {
  static final int PARSE_ERROR = -32700;
  static final int INVALID_REQUEST = -32600;
  static final int METHOD_NOT_FOUND = -32601;
  static final int INVALID_PARAMS = -32602;
  static final int INTERNAL_ERROR = -32603;
  static final int SESSION_NOT_FOUND = -32001;
  static final int SERVER_DISABLED = -32010;
  static final int CIRCUIT_OPEN = -32011;
  static final int UPSTREAM_OVERLOADED = -32012;
  static final int UPSTREAM_TIMEOUT = -32013;
  static final int HEADER_MISMATCH = -32020;
  static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;
  static final int REQUEST_CANCELLED = -32800;

  final int httpStatus;
  final int code;
  final JsonNode data;

  McpError(int httpStatus, int code, String message, JsonNode data) {
    super(message, null, false, false);
    this.httpStatus = httpStatus;
    this.code = code;
    this.data = data;
  }

  McpError(int httpStatus, int code, String message) {
    this(httpStatus, code, message, null);
  }
}

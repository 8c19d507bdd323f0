package dev.orca.gateway.mcp;

/** What {@link McpHandler} reads of an HTTP request besides its body: headers. */
@FunctionalInterface
interface McpRequest {
  /** The first value of header {@code name} (case-insensitive), or null. */
  String header(String name);
}

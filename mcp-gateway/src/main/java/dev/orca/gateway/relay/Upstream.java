package dev.orca.gateway.relay;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * One MCP server the gateway relays to (the builtin one, or a registered remote one). Tool names here are
 * the upstream's own, without the {@code server.} prefix the gateway adds.
 *
 * <p>Results are passed through untouched: {@link #callTool} emits the MCP {@code CallToolResult} whole
 * ({@code content} of every type, {@code structuredContent}, {@code isError}, {@code _meta}). Cancelling
 * the returned {@code Mono} must cancel the upstream work.
 */
public interface Upstream {

  /** The server name, the prefix of its tools' qualified names; never contains the separator. */
  String name();

  /** One page of the MCP {@code ListToolsResult}: {@code {"tools": [...], "nextCursor"?: "..."}}. */
  Mono<JsonNode> listTools(String cursor);

  /**
   * Calls {@code tool}; emits the {@code CallToolResult}. A tool this upstream does not have is a
   * {@link RelayException} with {@link RelayException.Reason#UNKNOWN_TOOL}.
   *
   * @param meta the caller's {@code _meta} (never null; possibly empty)
   */
  Mono<JsonNode> callTool(String tool, JsonNode arguments, JsonNode meta);

  /** Like {@link #callTool}, preceded by the upstream's progress notifications (if it sends any). */
  default Flux<RelayEvent> callToolEvents(String tool, JsonNode arguments, JsonNode meta) {
    return callTool(tool, arguments, meta).map(RelayEvent::resultOf).flux();
  }

  /** Whether {@code tools/list} should include this upstream now (false while health checks fail). */
  default boolean available() {
    return true;
  }
}

package dev.orca.gateway.mcp;

import reactor.core.publisher.Flux;

/**
 * An answer of {@code POST /mcp}: a status with one JSON body, or (200) a {@code text/event-stream} of
 * JSON-RPC messages, each sent as an SSE {@code message} event; or a 202 without a body.
 *
 * @param json the {@code application/json} body, or null
 * @param events the messages of a stream, serialized, or null
 * @param session the {@code Mcp-Session-Id} to send back (legacy initialize), or null
 */
record McpReply(int status, byte[] json, Flux<String> events, String session) {
  static final McpReply ACCEPTED = new McpReply(202, null, null, null);

  static McpReply json(int status, byte[] body, String session) {
    return new McpReply(status, body, null, session);
  }

  static McpReply stream(Flux<String> events, String session) {
    return new McpReply(200, null, events, session);
  }
}

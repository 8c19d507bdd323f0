package dev.orca.gateway.mcp;

import java.util.List;

/** The MCP protocol revisions this gateway speaks, newest first. */
final class ProtocolVersions {
  /** Stateless revisions: per-request {@code _meta}, no initialize, no sessions. */
  static final List<String> MODERN = List.of("2026-07-28");
  /** Handshake revisions: {@code initialize}, {@code Mcp-Session-Id}. */
  static final List<String> LEGACY = List.of("2025-11-25", "2025-06-18", "2025-03-26");
  /** Everything, as listed in an UnsupportedProtocolVersion error and by {@code server/discover}. */
  static final List<String> ALL = List.of("2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26");
  /** What {@code initialize} answers when the client asks for a revision it cannot have there. */
  static final String LATEST_LEGACY = LEGACY.get(0);

  static final String META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
  static final String META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";

  private ProtocolVersions() {}
}

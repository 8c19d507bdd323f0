/**
 * The relay between the MCP endpoint and the upstreams: {@link dev.orca.gateway.relay.Upstream} is one
 * MCP server's tools; {@link dev.orca.gateway.relay.ToolRelay} lists and routes {@code server.tool}
 * calls, measuring each and handing external ones to the audit.
 */
package dev.orca.gateway.relay;

/**
 * Tool steps' MCP client: calls {@code server.tool} on the MCP gateway (Streamable HTTP) with the step
 * attempt named in {@code _meta}; the engine's store records each call in {@code mcp_tool_calls}.
 */
package dev.orca.orchestrator.tool;

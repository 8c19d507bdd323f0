/**
 * Tool steps' MCP client: calls {@code server.tool} on the MCP gateway (Streamable HTTP) and records each
 * call in {@code mcp_tool_calls}, as intent before the call and completed after it.
 */
package dev.orca.orchestrator.tool;

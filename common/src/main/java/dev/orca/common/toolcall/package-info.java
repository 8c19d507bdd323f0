/**
 * The vocabulary of {@code mcp_tool_calls} shared by the orchestrator (which records its calls) and the
 * MCP gateway (which audits and measures the calls it relays).
 */
package dev.orca.common.toolcall;

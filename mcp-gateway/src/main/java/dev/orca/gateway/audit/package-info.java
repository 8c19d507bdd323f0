/**
 * The audit of external tool calls: rows in {@code mcp_tool_calls} ({@code source='external'}) written
 * off the call path through a bounded queue whose overflow is counted, never silent.
 */
package dev.orca.gateway.audit;

/**
 * The MCP gateway service: upstream MCP server registry, tool catalogue, relaying tool calls and
 * auditing them. Waits for the schema the orchestrator applies.
 */
package dev.orca.gateway;

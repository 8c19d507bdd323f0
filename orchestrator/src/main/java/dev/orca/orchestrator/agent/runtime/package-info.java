/** The agent runtime behind the engine's {@code AgentInvoker}: loads the agent, checks {@code io_schema}, runs it by
 * type, and records the run ({@code agent_runs}), its tool calls ({@code mcp_tool_calls}) and metrics. */
package dev.orca.orchestrator.agent.runtime;

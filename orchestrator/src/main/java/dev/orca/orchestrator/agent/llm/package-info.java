/** Context agents: an LLM conversation with tool use through the MCP gateway, over the Anthropic Messages and
 * OpenAI Chat Completions wire formats (WebClient, non-streaming; cancelling closes the request). */
package dev.orca.orchestrator.agent.llm;

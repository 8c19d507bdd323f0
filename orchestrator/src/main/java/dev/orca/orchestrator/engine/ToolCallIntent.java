package dev.orca.orchestrator.engine;

import java.util.UUID;

/**
 * The tool call a step attempt is about to make. The store writes it ({@code mcp_tool_calls},
 * {@code started}, the step's input as params) in the transaction that starts the step, so the intent
 * is durable before the call leaves.
 */
public record ToolCallIntent(UUID callId, String server, String tool) {}

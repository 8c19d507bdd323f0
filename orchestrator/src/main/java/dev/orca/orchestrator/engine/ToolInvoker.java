package dev.orca.orchestrator.engine;

import reactor.core.publisher.Mono;

/**
 * Calls one MCP tool for a step attempt (through the MCP gateway) and records the call in
 * {@code mcp_tool_calls}: an intent row before the call, completed after it.
 *
 * <p>Cancelling the subscription must dispose the in-flight call (closing the request, so the
 * gateway can tell the upstream) and mark the call row {@code cancelled}.
 *
 * <p>Signals: {@link ToolResult} for any answer of the tool, including {@code isError: true};
 * {@link StepFailure} errors for what went wrong on the way ({@link StepFailure#retryable()} says
 * whether repeating may help: timeouts and transport failures yes, protocol errors no).
 */
public interface ToolInvoker {
  Mono<ToolResult> invoke(ToolInvocation invocation);
}

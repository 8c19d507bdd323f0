package dev.orca.orchestrator.engine;

import reactor.core.publisher.Mono;

/**
 * Calls one MCP tool for a step attempt (through the MCP gateway). Recording the call is the engine's
 * part: the intent goes into the transaction that starts the step, the ending into the one that
 * follows it.
 *
 * <p>Cancelling the subscription must dispose the in-flight call (closing the request, so the gateway
 * can tell the upstream).
 *
 * <p>Signals: {@link ToolResult} for any answer of the tool, including {@code isError: true};
 * {@link StepFailure} errors for what went wrong on the way ({@link StepFailure#retryable()} says
 * whether repeating may help: timeouts and transport failures yes, protocol errors no).
 */
public interface ToolInvoker {
  Mono<ToolResult> invoke(ToolInvocation invocation);
}

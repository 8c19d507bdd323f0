package dev.orca.orchestrator.engine;

import reactor.core.publisher.Mono;

/**
 * Runs one registered agent for a step attempt and records the run in {@code agent_runs}.
 *
 * <p>The invoker applies {@link AgentInvocation#timeout()} itself. Cancelling the subscription must stop
 * the agent's work in flight (the LLM or HTTP request and any tool call it is making).
 *
 * <p>Signals: {@link AgentResult} for the agent's final answer; {@link StepFailure} errors otherwise
 * ({@link StepFailure#retryable()} says whether repeating may help; {@link StepFailure#retryAfter()} how
 * long the provider asked to wait).
 */
public interface AgentInvoker {

  Mono<AgentResult> invoke(AgentInvocation invocation);
}

package dev.orca.orchestrator.agent.llm;

import reactor.core.publisher.Mono;

/**
 * One provider wire format. Errors are {@code StepFailure}s (429, 529 and 5xx retryable with the server's
 * Retry-After; other 4xx not); cancelling the {@code Mono} closes the HTTP request.
 *
 * @see AnthropicProvider
 * @see OpenAiProvider
 */
interface LlmProvider {
  /** {@code llm_config.provider} naming this format. */
  String name();

  /** @param apiKey the key (from the agent's secret), or null when the server needs none (a local model) */
  Mono<Conversation.Reply> complete(String baseUrl, String apiKey, Conversation.Request request);
}

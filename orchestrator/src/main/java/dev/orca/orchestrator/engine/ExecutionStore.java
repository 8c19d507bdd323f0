package dev.orca.orchestrator.engine;

import java.time.Duration;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Durable state of executions and their steps. Every method is one transaction that also writes the
 * transition's {@link ExecutionEvent}s, and every write is fenced by the lease owner: a replica that
 * lost its lease changes nothing (the {@code Mono} completes empty or with {@code false}).
 */
public interface ExecutionStore {

  /** Leases up to {@code max} runnable executions (due, not leased or lease expired) to {@code owner}. */
  Flux<ClaimedExecution> claim(String owner, Duration lease, int max);

  /** Extends the lease; says whether it is still held and whether cancellation was requested. */
  Mono<LeaseStatus> renew(UUID executionId, String owner, Duration lease);

  /**
   * Marks the step running with its resolved input and records the intent of its tool call ({@code toolCall},
   * null for a step that calls no tool); empty when the lease is lost or cancellation requested. A previous
   * attempt found still running was interrupted (its replica died): it counts as a retry, and its tool call
   * rows that never ended are marked failed.
   */
  Mono<StepStart> startStep(UUID executionId, String owner, int index, String stepName, tools.jackson.databind.JsonNode input,
      ToolCallIntent toolCall);

  /** Completes or skips the step, writes its output and context patch, and moves the execution on. */
  Mono<Boolean> finishStep(StepFinish finish);

  /** Records a failed attempt that will be retried at {@code retry.at()}, releasing the lease meanwhile. */
  Mono<Boolean> retryStep(StepRetry retry);

  /**
   * Fails the step (when {@code stepIndex >= 0}) and the execution, releasing the lease. {@code toolCall} is how
   * the step's tool call ended (null when none); any other call of the execution still open is marked failed.
   */
  Mono<Boolean> failExecution(UUID executionId, String owner, int stepIndex, String error, long durationMs,
      ToolCallEnding toolCall);

  /** Cancels the running and pending steps, their open tool calls and the execution, releasing the lease. */
  Mono<Boolean> cancelExecution(UUID executionId, String owner);

  /** Gives the lease back without changing anything else (orderly shutdown). */
  Mono<Void> release(UUID executionId, String owner);

  enum LeaseStatus { HELD, CANCEL_REQUESTED, LOST }
}

package dev.orca.orchestrator.engine;

import dev.orca.common.toolcall.ToolCallOutcome;
import dev.orca.orchestrator.definition.AgentStep;
import dev.orca.orchestrator.definition.Conditions;
import dev.orca.orchestrator.definition.Interpolator;
import dev.orca.orchestrator.definition.RetryPolicy;
import dev.orca.orchestrator.definition.StepDefinition;
import dev.orca.orchestrator.definition.ToolStep;
import dev.orca.orchestrator.definition.WorkflowDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs one claimed execution from its first unfinished step while this replica holds the lease:
 * evaluate {@code when}, resolve the input, start the step, call the tool, then record the result and
 * the execution's progress together. Stops at once — disposing the in-flight call — when cancellation
 * is requested, the execution times out, or the lease is lost.
 */
final class ExecutionRunner {
  private static final Logger log = LoggerFactory.getLogger(ExecutionRunner.class);
  /** Interrupted attempts (a replica died mid-step) allowed beyond the retry policy, against poison steps. */
  private static final int INTERRUPTION_ALLOWANCE = 3;

  private final ExecutionStore store;
  private final ToolInvoker tools;
  private final AgentInvoker agents;
  private final EngineMetrics metrics;
  private final EngineSettings settings;
  private final Flux<UUID> cancelRequests;
  private final Consumer<Instant> wakeAt;
  private final RandomGenerator jitter;

  ExecutionRunner(ExecutionStore store, ToolInvoker tools, AgentInvoker agents, EngineMetrics metrics,
      EngineSettings settings, Flux<UUID> cancelRequests, Consumer<Instant> wakeAt, RandomGenerator jitter) {
    this.store = store;
    this.tools = tools;
    this.agents = agents;
    this.metrics = metrics;
    this.settings = settings;
    this.cancelRequests = cancelRequests;
    this.wakeAt = wakeAt;
    this.jitter = jitter;
  }

  private enum Stop { DONE, CANCEL, LEASE_LOST, TIMED_OUT }

  Mono<Void> run(ClaimedExecution claimed) {
    String owner = settings.owner();
    if (claimed.cancelRequested()) {
      return cancel(claimed);
    }
    WorkflowDefinition definition;
    try {
      definition = WorkflowDefinition.parse(claimed.definition());
    } catch (RuntimeException e) {
      return finishFailed(claimed, -1, "definition version " + claimed.workflowVersion() + " cannot be run: " + e.getMessage());
    }
    Run run = new Run(claimed, definition, claimed.context().deepCopy());
    Mono<Stop> work = step(run, claimed.currentStepIndex()).thenReturn(Stop.DONE);
    return Mono.firstWithSignal(work, watchdog(claimed))
        .flatMap(stop -> switch (stop) {
          case DONE -> Mono.<Void>empty();
          case CANCEL -> cancel(claimed);
          case TIMED_OUT -> {
            String error = "execution timed out at " + claimed.timeoutAt();
            UUID call = run.toolCallId;
            yield finishFailed(claimed, run.index, error, 0, call == null ? null
                : new ToolCallEnding(call, ToolCallOutcome.TIMEOUT, null, error, 0));
          }
          case LEASE_LOST -> {
            log.warn("Lost the lease on execution {}; another replica continues it", claimed.id());
            yield Mono.<Void>empty();
          }
        })
        .onErrorResume(e -> {
          // A store failure (database down): nothing half-written, the lease expires and a replica resumes.
          log.warn("Execution {} interrupted: {}", claimed.id(), e.toString());
          return Mono.empty();
        })
        .doOnCancel(() -> store.release(claimed.id(), owner).subscribe(null, e -> log.debug("release failed", e)));
  }

  /** Emits when the run must stop early: cancellation asked for, lease lost, or the execution deadline. */
  private Mono<Stop> watchdog(ClaimedExecution claimed) {
    Duration every = settings.lease().dividedBy(3);
    Flux<Stop> renewals = Flux.interval(every)
        .concatMap(t -> store.renew(claimed.id(), settings.owner(), settings.lease()))
        .filter(s -> s != ExecutionStore.LeaseStatus.HELD)
        .map(s -> s == ExecutionStore.LeaseStatus.LOST ? Stop.LEASE_LOST : Stop.CANCEL);
    Flux<Stop> cancels = cancelRequests.filter(claimed.id()::equals).map(id -> Stop.CANCEL);
    Flux<Stop> deadline = claimed.timeoutAt() == null
        ? Flux.never()
        : Mono.delay(nonNegative(Duration.between(Instant.now(), claimed.timeoutAt()))).thenReturn(Stop.TIMED_OUT).flux();
    return Flux.merge(renewals, cancels, deadline).next();
  }

  private Mono<Void> step(Run run, int index) {
    run.index = index;
    var steps = run.definition.steps();
    if (index >= steps.size()) {
      return finishFailed(run.claimed, -1, "no step at index " + index + " in version " + run.claimed.workflowVersion());
    }
    StepDefinition step = steps.get(index);
    boolean last = index == steps.size() - 1;
    if (step.when() != null) {
      boolean go;
      try {
        go = Conditions.compile(step.when(), roots(run.context)).test(run.context);
      } catch (RuntimeException e) {
        return finishFailed(run.claimed, index, "step '" + step.name() + "': when '" + step.when() + "' failed: " + e.getMessage());
      }
      if (!go) {
        return finish(run, step, index, StepFinish.SKIPPED, null, null, 0, last, null);
      }
    }
    JsonNode input;
    try {
      input = Interpolator.resolve(template(step), run.context);
    } catch (RuntimeException e) {
      return finishFailed(run.claimed, index, "step '" + step.name() + "': " + e.getMessage());
    }
    ToolCallIntent intent = step instanceof ToolStep tool ? new ToolCallIntent(UUID.randomUUID(), tool.server(), tool.tool()) : null;
    run.toolCallId = intent == null ? null : intent.callId();
    return store.startStep(run.claimed.id(), settings.owner(), index, step.name(), input, intent)
        .flatMap(start -> attempt(run, step, index, last, input, start));
  }

  private Mono<Void> attempt(Run run, StepDefinition step, int index, boolean last, JsonNode input, StepStart start) {
    RetryPolicy policy = policy(run.definition, step);
    if (start.interrupted() && start.retryCount() > policy.maxRetries() + INTERRUPTION_ALLOWANCE) {
      return finishFailed(run.claimed, index,
          "step '" + step.name() + "' was interrupted " + start.retryCount() + " times (replicas died while it ran)");
    }
    long t0 = System.nanoTime();
    UUID callId = run.toolCallId;
    return call(run, step, start, input)
        .flatMap(answer -> {
          long durationMs = millisSince(t0);
          JsonNode result = answer.output();
          if (answer.toolError()) {
            StepFailure f = new StepFailure(StepFailure.Kind.TOOL_ERROR,
                "tool " + qualifiedName(step) + " reported an error: " + ToolResults.firstText(result));
            return failed(run, step, index, start, policy, f, durationMs, ToolCallEnding.toolError(callId, result, durationMs));
          }
          JsonNode bound = step.assign() == null ? null : answer.bindable();
          return finish(run, step, index, StepFinish.COMPLETED, result, bound, durationMs, last, callId);
        })
        .onErrorResume(StepFailure.class, f -> {
          long durationMs = millisSince(t0);
          return failed(run, step, index, start, policy, f, durationMs, ToolCallEnding.failed(callId, f, durationMs));
        });
  }

  /**
   * What a step produced: its {@code output} as recorded, whether it is a tool's {@code isError}, and for
   * agents the answer {@code assign} binds (tools bind {@link ToolResults#bindable}).
   */
  private record Called(JsonNode output, boolean toolError, JsonNode agentAnswer) {
    JsonNode bindable() {
      return agentAnswer != null ? agentAnswer : ToolResults.bindable(output);
    }
  }

  private Mono<Called> call(Run run, StepDefinition step, StepStart start, JsonNode input) {
    if (step instanceof AgentStep agent) {
      return agents.invoke(new AgentInvocation(run.claimed.id(), start.stepId(), agent.name(), start.attempt(),
              agent.agent(), input, timeout(agent)))
          .switchIfEmpty(Mono.error(() -> new StepFailure(StepFailure.Kind.PROTOCOL, "agent run ended without a result")))
          .map(r -> new Called(r.record(), false, r.output()));
    }
    ToolStep tool = (ToolStep) step;
    return tools.invoke(new ToolInvocation(run.claimed.id(), start.stepId(), tool.name(), start.attempt(),
            tool.server(), tool.tool(), input, timeout(tool)))
        .switchIfEmpty(Mono.error(() -> new StepFailure(StepFailure.Kind.PROTOCOL, "tool call ended without a result")))
        .map(r -> new Called(r.result(), r.isError(), null));
  }

  private static String qualifiedName(StepDefinition step) {
    return step instanceof ToolStep tool ? tool.server() + "." + tool.tool() : step.name();
  }

  private Mono<Void> finish(Run run, StepDefinition step, int index, String status, JsonNode output, JsonNode bound,
      long durationMs, boolean last, UUID toolCallId) {
    if (step.assign() != null && bound != null) {
      run.context.set(step.assign(), bound);
    }
    JsonNode executionOutput = last ? outputOf(run) : null;
    StepFinish finish = new StepFinish(run.claimed.id(), settings.owner(), index, step.name(), status, output,
        durationMs, step.assign(), bound, last, executionOutput, toolCallId);
    return store.finishStep(finish).flatMap(written -> {
      if (!written) {
        return Mono.empty(); // fenced out: lease lost or cancellation requested; the watchdog says which
      }
      metrics.stepFinished(run.claimed.workflow(), kind(step), status, Duration.ofMillis(durationMs));
      if (last) {
        metrics.executionFinished(run.claimed.workflow(), "completed", sinceCreated(run.claimed));
        return Mono.empty();
      }
      return step(run, index + 1);
    });
  }

  private Mono<Void> failed(Run run, StepDefinition step, int index, StepStart start, RetryPolicy policy, StepFailure f,
      long durationMs, ToolCallEnding toolCall) {
    String error = "step '" + step.name() + "' attempt " + start.attempt() + ": " + f.getMessage();
    if (retries(policy, f) && start.retryCount() < policy.maxRetries()) {
      Instant at = Instant.now().plus(retryDelay(policy, start.attempt(), f, jitter));
      return store.retryStep(new StepRetry(run.claimed.id(), settings.owner(), index, error, durationMs, at, toolCall))
          .doOnNext(written -> {
            if (written) {
              metrics.stepRetried(run.claimed.workflow());
              wakeAt.accept(at);
            }
          })
          .then();
    }
    metrics.stepFinished(run.claimed.workflow(), kind(step), "failed", Duration.ofMillis(durationMs));
    return finishFailed(run.claimed, index, error, durationMs, toolCall);
  }

  /** The policy's delay, or longer when the far side asked for it (Retry-After), never beyond the policy's cap. */
  static Duration retryDelay(RetryPolicy policy, int attempt, StepFailure f, RandomGenerator jitter) {
    Duration delay = policy.delayBeforeRetry(attempt, jitter);
    if (f.retryAfter() == null || f.retryAfter().compareTo(delay) <= 0) {
      return delay;
    }
    Duration cap = Duration.ofMillis(policy.maxDelayMs());
    return f.retryAfter().compareTo(cap) > 0 ? cap : f.retryAfter();
  }

  /** Timeouts and transport failures retry by default; a tool's isError only when the step lists it. */
  private static boolean retries(RetryPolicy policy, StepFailure failure) {
    return switch (failure.kind()) {
      case INTERRUPTED -> true;
      case TIMEOUT -> policy.retriesOn(RetryPolicy.TIMEOUT);
      case TRANSPORT -> policy.retriesOn(RetryPolicy.TRANSPORT);
      case TOOL_ERROR -> policy.retriesOn(RetryPolicy.TOOL_ERROR);
      default -> false;
    };
  }

  private Mono<Void> finishFailed(ClaimedExecution claimed, int index, String error) {
    return finishFailed(claimed, index, error, 0, null);
  }

  private Mono<Void> finishFailed(ClaimedExecution claimed, int index, String error, long durationMs, ToolCallEnding toolCall) {
    return store.failExecution(claimed.id(), settings.owner(), index, error, durationMs, toolCall)
        .doOnNext(written -> {
          if (written) {
            metrics.executionFinished(claimed.workflow(), "failed", sinceCreated(claimed));
          }
        })
        .then();
  }

  private Mono<Void> cancel(ClaimedExecution claimed) {
    return store.cancelExecution(claimed.id(), settings.owner())
        .doOnNext(written -> {
          if (written) {
            metrics.executionFinished(claimed.workflow(), "cancelled", sinceCreated(claimed));
          }
        })
        .then();
  }

  private Duration timeout(StepDefinition step) {
    return step.timeoutMs() != null ? Duration.ofMillis(step.timeoutMs()) : settings.defaultStepTimeout();
  }

  private static RetryPolicy policy(WorkflowDefinition definition, StepDefinition step) {
    if (step.retry() != null) {
      return step.retry();
    }
    return definition.errorHandling() != null ? definition.errorHandling().defaultRetry() : RetryPolicy.NO_RETRY;
  }

  private static JsonNode template(StepDefinition step) {
    JsonNode template = step instanceof ToolStep tool ? tool.params() : ((AgentStep) step).input();
    return template != null ? template : JsonNodeFactory.instance.objectNode();
  }

  private static String kind(StepDefinition step) {
    return step instanceof ToolStep ? "tool" : "agent";
  }

  /** The execution's output: every value bound by {@code assign}, by name. */
  private static JsonNode outputOf(Run run) {
    ObjectNode output = JsonNodeFactory.instance.objectNode();
    for (StepDefinition s : run.definition.steps()) {
      if (s.assign() != null && run.context.has(s.assign())) {
        output.set(s.assign(), run.context.get(s.assign()));
      }
    }
    return output;
  }

  private static Set<String> roots(ObjectNode context) {
    Set<String> roots = new LinkedHashSet<>(Set.of("input", "event", "repo", "execution"));
    context.properties().forEach(e -> roots.add(e.getKey()));
    return roots;
  }

  private static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  private static Duration sinceCreated(ClaimedExecution claimed) {
    return claimed.createdAt() == null ? Duration.ZERO : nonNegative(Duration.between(claimed.createdAt(), Instant.now()));
  }

  private static Duration nonNegative(Duration d) {
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** The mutable part of one run: the context as assigns accumulate, and the step in progress. */
  private static final class Run {
    final ClaimedExecution claimed;
    final WorkflowDefinition definition;
    final ObjectNode context;
    volatile int index;
    /** The tool call of the step attempt in progress, so an execution timeout can record how it ended. */
    volatile UUID toolCallId;

    Run(ClaimedExecution claimed, WorkflowDefinition definition, ObjectNode context) {
      this.claimed = claimed;
      this.definition = definition;
      this.context = context;
      this.index = claimed.currentStepIndex();
    }
  }
}

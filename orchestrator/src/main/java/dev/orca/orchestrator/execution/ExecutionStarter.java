package dev.orca.orchestrator.execution;

import dev.orca.orchestrator.engine.Engine;
import dev.orca.orchestrator.events.ExecutionEventAnnouncer;
import dev.orca.orchestrator.execution.ExecutionQueries.Lease;
import dev.orca.orchestrator.execution.ExecutionQueries.StartOutcome;
import java.util.Optional;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Starts executions for the API. When this replica's engine has a free slot (and no backlog) the
 * execution is created already claimed by it and runs as soon as the insert committed: no claim
 * statement, no wake-up, no hop between replicas (like Temporal's eager workflow start). Otherwise it is
 * created pending and the engines are woken ({@link WorkAnnouncer}).
 *
 * <p>Either way the lease decides who runs it: if this replica dies before or while running an eagerly
 * started execution, another takes it over when the lease expires, as after any claim.
 */
@Component
class ExecutionStarter {
  private final ExecutionQueries executions;
  private final EngineLifecycle engine;
  private final WorkAnnouncer work;
  private final ExecutionEventAnnouncer events;

  ExecutionStarter(ExecutionQueries executions, EngineLifecycle engine, WorkAnnouncer work, ExecutionEventAnnouncer events) {
    this.executions = executions;
    this.engine = engine;
    this.work = work;
    this.events = events;
  }

  Mono<StartOutcome> start(String workflow, JsonNode input, String idempotencyKey, Long timeoutMs) {
    return Mono.defer(() -> {
      Optional<Engine.Reservation> slot = engine.reserve();
      Lease lease = slot.map(r -> new Lease(r.owner(), r.lease())).orElse(null);
      return executions.start(workflow, input, idempotencyKey, "api", timeoutMs, lease)
          // Emitted once the statement completed, i.e. after its commit: the engine's step start must see the lease.
          .doOnNext(outcome -> {
            if (outcome instanceof StartOutcome.Started started) {
              if (started.claimed() != null) {
                slot.orElseThrow().launch(started.claimed());
                events.announce(started.id());
              } else {
                work.announce();
              }
            }
          })
          // Not created (unknown, disabled, an existing key, an error): the slot is free again. A request
          // cancelled while its insert ran may leave a claimed execution unlaunched; its lease expires and
          // an engine resumes it, as after a crash.
          .doFinally(signal -> slot.ifPresent(Engine.Reservation::release));
    });
  }
}

package dev.orca.orchestrator.workflow;

import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** Workflows and their versions; implemented by {@link PostgresWorkflowStore}. */
public interface WorkflowStore {
  /** Inserts version 1 (workflow row and version row together); errors with {@link WorkflowAlreadyExistsException}. */
  Mono<Workflow> create(String name, String description, JsonNode definition);

  /**
   * Stores {@code definition} as the next version, with its version row, in one transaction.
   *
   * @param keepDescription when true {@code description} is ignored and the current one kept
   * @param enabled null keeps the current value
   * @return empty if there is no workflow {@code name}
   */
  Mono<Workflow> update(String name, JsonNode definition, boolean keepDescription, String description, Boolean enabled);

  /** Sets {@code enabled = false}; emits false if there is no workflow {@code name}. */
  Mono<Boolean> disable(String name);

  Mono<Workflow> findByName(String name);

  Mono<WorkflowVersion> findVersion(String name, int version);

  Mono<WorkflowVersion> findVersion(UUID workflowId, int version);

  /** Up to {@code limit} workflows ordered by name, after {@code afterName} (null: from the start). */
  Flux<Workflow> list(String afterName, Boolean enabled, int limit);
}

package dev.orca.orchestrator.trigger;

import dev.orca.orchestrator.execution.ExecutionMetrics;
import dev.orca.orchestrator.execution.ExecutionQueries;
import dev.orca.orchestrator.execution.ExecutionQueries.StartOutcome;
import io.r2dbc.spi.R2dbcException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

/**
 * The effect of one webhook event: its {@code events} row, then, in one transaction, the executions
 * its routes start (each carrying {@code trigger_event_id}, so a redelivery starts nothing new) and
 * the row's final status: {@code processed}, {@code ignored} (no route) or {@code failed} (with every
 * route's error). An event whose row is already final is a redelivery and does nothing.
 */
@Component
class EventTrigger {
  private static final Logger log = LoggerFactory.getLogger(EventTrigger.class);
  static final String TRIGGERED_BY = "event";

  private final PostgresEventStore events;
  private final PostgresSubscriptionStore subscriptions;
  private final PostgresRepositoryStore repositories;
  private final ExecutionQueries executions;
  private final ExecutionMetrics metrics;
  private final TransactionalOperator tx;

  EventTrigger(PostgresEventStore events, PostgresSubscriptionStore subscriptions, PostgresRepositoryStore repositories,
      ExecutionQueries executions, ExecutionMetrics metrics, TransactionalOperator tx) {
    this.events = events;
    this.subscriptions = subscriptions;
    this.repositories = repositories;
    this.executions = executions;
    this.metrics = metrics;
    this.tx = tx;
  }

  /** What handling an event came to. */
  record Outcome(UUID eventId, String status, List<UUID> started, boolean redelivery) {}

  /** Completes once the row and the executions are durable; errors only when the database failed. */
  Mono<Outcome> handle(WebhookEvent event) {
    // The row and what routing reads do not depend on each other: one round trip's wait instead of two.
    return Mono.zip(events.record(event), registeredRepository(event), subscriptions.enabledFor(event.source()).collectList())
        .flatMap(found -> {
          PostgresEventStore.Recorded recorded = found.getT1();
          if (recorded.finished()) {
            return Mono.just(new Outcome(recorded.id(), recorded.status(), List.of(), true));
          }
          ConfiguredRepository repo = found.getT2().orElse(null);
          ObjectNode context = Router.triggerContext(recorded.id(), event, repo);
          return startAll(recorded.id(), context, Router.routes(event, context, found.getT3(), repo));
        });
  }

  private Mono<Optional<ConfiguredRepository>> registeredRepository(WebhookEvent event) {
    String[] ownerName = Router.ownerAndName(event);
    return ownerName == null
        ? Mono.just(Optional.empty())
        : repositories.find(ownerName[0], ownerName[1]).map(Optional::of).defaultIfEmpty(Optional.empty());
  }

  private Mono<Outcome> startAll(UUID eventId, ObjectNode context, List<Router.Route> routes) {
    List<String> errors = new ArrayList<>();
    List<StartOutcome.Started> started = new ArrayList<>();
    List<String> startedWorkflows = new ArrayList<>();
    ExecutionQueries.Trigger trigger = new ExecutionQueries.Trigger(eventId, context);
    Mono<Void> work = Flux.fromIterable(routes)
        .concatMap(route -> {
          if (route instanceof Router.Route.Failed failed) {
            errors.add(failed.via() + ": " + failed.error());
            return Mono.empty();
          }
          Router.Route.Start start = (Router.Route.Start) route;
          return executions.start(start.workflow(), start.input(), null, TRIGGERED_BY, null, trigger)
              .doOnNext(outcome -> {
                if (outcome instanceof StartOutcome.Started s) {
                  started.add(s);
                  startedWorkflows.add(start.workflow());
                } else if (outcome instanceof StartOutcome.UnknownWorkflow) {
                  errors.add(start.via() + ": there is no workflow named '" + start.workflow() + "'");
                } else if (outcome instanceof StartOutcome.DisabledWorkflow) {
                  errors.add(start.via() + ": workflow '" + start.workflow() + "' is disabled");
                }
              });
        })
        .then(Mono.defer(() -> events.finish(eventId, status(routes, errors), errors.isEmpty() ? null : String.join("; ", errors))));
    return work.as(tx::transactional)
        // Deterministic: retrying cannot help, so the row says why and nothing is started.
        .onErrorResume(EventTrigger::refusedAsData, e -> {
          errors.add("the database refused what the routes would start: " + databaseReason(e));
          started.clear();
          startedWorkflows.clear();
          return events.finish(eventId, "failed", String.join("; ", errors));
        })
        .then(Mono.fromSupplier(() -> {
          startedWorkflows.forEach(workflow -> metrics.started(workflow, TRIGGERED_BY));
          String status = status(routes, errors);
          if (!errors.isEmpty()) {
            log.warn("Event {} failed to route: {}", eventId, String.join("; ", errors));
          }
          return new Outcome(eventId, status, started.stream().map(StartOutcome.Started::id).collect(Collectors.toList()), false);
        }));
  }

  /** Data exceptions (class 22, e.g. a NUL in JSON text) and constraint violations (23): retrying cannot help. */
  static boolean refusedAsData(Throwable e) {
    R2dbcException r = driverError(e);
    return r != null && r.getSqlState() != null && (r.getSqlState().startsWith("22") || r.getSqlState().startsWith("23"));
  }

  /** The driver's own words, e.g. {@code [22P05] unsupported Unicode escape sequence}, without Spring's SQL text. */
  static String databaseReason(Throwable e) {
    R2dbcException r = driverError(e);
    String message = r == null ? e.getMessage() : "[" + r.getSqlState() + "] " + r.getMessage();
    return message == null ? "" : message.lines().findFirst().orElse("");
  }

  private static R2dbcException driverError(Throwable e) {
    R2dbcException found = null;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof R2dbcException r) {
        found = r;
      }
    }
    return found;
  }

  private static String status(List<Router.Route> routes, List<String> errors) {
    return !errors.isEmpty() ? "failed" : routes.isEmpty() ? "ignored" : "processed";
  }
}

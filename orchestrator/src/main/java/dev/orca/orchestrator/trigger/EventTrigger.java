package dev.orca.orchestrator.trigger;

import dev.orca.orchestrator.execution.ExecutionMetrics;
import dev.orca.orchestrator.execution.ExecutionQueries;
import dev.orca.orchestrator.execution.ExecutionQueries.StartOutcome;
import io.r2dbc.spi.R2dbcException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;

/**
 * The effect of webhook events: their {@code events} rows, the executions their routes start (each
 * carrying {@code trigger_event_id}, so a redelivery starts nothing new) and each row's final status:
 * {@code processed}, {@code ignored} (no route) or {@code failed} (with every route's error). An event
 * whose row is already final is a redelivery and does nothing. The consumer hands over a partition's
 * waiting events at once ({@link #handleAll}); {@link #handle} is one event alone, for when a batch fails
 * on data the database refuses.
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

  /**
   * Handles events of one partition together, in their order: their rows in one statement, one read of the
   * repositories and subscriptions routing needs, then every start and every status in one transaction, so
   * the executions are created in the events' order and all of it commits at once. A later copy of an event in
   * the batch is a redelivery. Errors when the database failed or refused any of them, with nothing kept:
   * {@link #handle} each alone then says which.
   *
   * @return the outcomes in the order of {@code batch}
   */
  Mono<List<Outcome>> handleAll(List<WebhookEvent> batch) {
    Map<String, WebhookEvent> byDelivery = new LinkedHashMap<>();
    batch.forEach(event -> byDelivery.putIfAbsent(deliveryKey(event), event));
    List<WebhookEvent> distinct = List.copyOf(byDelivery.values());
    return routing(distinct)
        .flatMap(routing -> events.recordAll(distinct)
            .flatMap(recorded -> {
              List<Routable> routables = new ArrayList<>();
              for (int i = 0; i < distinct.size(); i++) {
                if (!recorded.get(i).finished()) {
                  routables.add(routable(distinct.get(i), recorded.get(i).id(), routing));
                }
              }
              return start(routables).map(started -> {
                Iterator<Routed> next = started.iterator();
                return recorded.stream().map(r -> r.finished() ? Routed.redelivery(r) : next.next()).toList();
              });
            })
            .flatMap(routed -> events.finishAll(routed.stream().filter(r -> !r.redelivery()).map(Routed::finish).toList())
                .thenReturn(routed))
            .as(tx::transactional))
        .map(routed -> {
          Map<String, Outcome> byDeliveryKey = new HashMap<>();
          for (int i = 0; i < distinct.size(); i++) {
            byDeliveryKey.put(deliveryKey(distinct.get(i)), done(routed.get(i)));
          }
          Set<String> seen = new HashSet<>();
          List<Outcome> outcomes = new ArrayList<>();
          for (WebhookEvent event : batch) {
            Outcome outcome = byDeliveryKey.get(deliveryKey(event));
            outcomes.add(seen.add(deliveryKey(event)) ? outcome
                : new Outcome(outcome.eventId(), outcome.status(), List.of(), true));
          }
          return outcomes;
        });
  }

  private static String deliveryKey(WebhookEvent event) {
    return event.source() + "/" + event.deliveryId();
  }

  /** An event to start: its row, its context and its routes. */
  private record Routable(UUID eventId, ObjectNode context, List<Router.Route> routes) {}

  private static Routable routable(WebhookEvent event, UUID eventId, Routing routing) {
    ConfiguredRepository repo = routing.repository(event);
    ObjectNode context = Router.triggerContext(eventId, event, repo);
    return new Routable(eventId, context, Router.routes(event, context, routing.subscriptions(event.source()), repo));
  }

  /** The registered repositories and enabled subscriptions a batch's routing needs, read once for the batch. */
  private record Routing(Map<String, List<Subscription>> bySource, Map<String, ConfiguredRepository> byOwnerName) {
    List<Subscription> subscriptions(String source) {
      return bySource.getOrDefault(source, List.of());
    }

    ConfiguredRepository repository(WebhookEvent event) {
      List<String> ownerName = ownerName(event);
      return ownerName == null ? null : byOwnerName.get(ownerName.get(0) + "/" + ownerName.get(1));
    }
  }

  private Mono<Routing> routing(List<WebhookEvent> batch) {
    Set<String> sources = new LinkedHashSet<>();
    Set<List<String>> ownerNames = new LinkedHashSet<>();
    for (WebhookEvent event : batch) {
      sources.add(event.source());
      List<String> ownerName = ownerName(event);
      if (ownerName != null) {
        ownerNames.add(ownerName);
      }
    }
    Mono<Map<String, List<Subscription>>> bySource = Flux.fromIterable(sources)
        .flatMap(source -> subscriptions.enabledFor(source).collectList().map(found -> Map.entry(source, found)))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    return Mono.zip(bySource, repositories.findAll(ownerNames)).map(found -> new Routing(found.getT1(), found.getT2()));
  }

  private static List<String> ownerName(WebhookEvent event) {
    String[] ownerName = Router.ownerAndName(event);
    return ownerName == null ? null : List.of(ownerName);
  }

  /** One event alone; completes once the row and the executions are durable; errors only when the database failed. */
  Mono<Outcome> handle(WebhookEvent event) {
    // The row and what routing reads do not depend on each other: one round trip's wait instead of two.
    return Mono.zip(events.record(event), routing(List.of(event)))
        .flatMap(found -> {
          PostgresEventStore.Recorded recorded = found.getT1();
          return recorded.finished()
              ? Mono.just(new Outcome(recorded.id(), recorded.status(), List.of(), true))
              : startAlone(routable(event, recorded.id(), found.getT2()));
        });
  }

  private Mono<Outcome> startAlone(Routable event) {
    return start(List.of(event))
        .map(started -> started.get(0))
        .flatMap(routed -> events.finish(event.eventId(), routed.status(), routed.error()).thenReturn(routed))
        .as(tx::transactional)
        // Deterministic: retrying cannot help, so the row says why and nothing is started.
        .onErrorResume(EventTrigger::refusedAsData, e -> {
          List<String> errors = new ArrayList<>();
          event.routes().stream().filter(Router.Route.Failed.class::isInstance).map(Router.Route.Failed.class::cast)
              .forEach(failed -> errors.add(failed.via() + ": " + failed.error()));
          errors.add("the database refused what the routes would start: " + databaseReason(e));
          Routed refused = new Routed(event.eventId(), "failed", String.join("; ", errors), List.of(), List.of(), false);
          return events.finish(event.eventId(), refused.status(), refused.error()).thenReturn(refused);
        })
        .map(this::done);
  }

  /** What one event's routes came to: the executions started and, when some route failed, why. */
  private record Routed(UUID eventId, String status, String error, List<UUID> started, List<String> startedWorkflows,
      boolean redelivery) {
    static Routed redelivery(PostgresEventStore.Recorded recorded) {
      return new Routed(recorded.id(), recorded.status(), null, List.of(), List.of(), true);
    }

    PostgresEventStore.Finish finish() {
      return new PostgresEventStore.Finish(eventId, status, error);
    }
  }

  /**
   * Starts every route of the events with one statement, in the caller's transaction, in the events' and their
   * routes' order; writes no status.
   */
  private Mono<List<Routed>> start(List<Routable> routables) {
    List<ExecutionQueries.EventStart> starts = new ArrayList<>();
    for (Routable event : routables) {
      ExecutionQueries.Trigger trigger = new ExecutionQueries.Trigger(event.eventId(), event.context());
      for (Router.Route route : event.routes()) {
        if (route instanceof Router.Route.Start start) {
          starts.add(new ExecutionQueries.EventStart(start.workflow(), start.input(), trigger));
        }
      }
    }
    return executions.startAll(starts, TRIGGERED_BY).map(outcomes -> {
      Iterator<StartOutcome> next = outcomes.iterator();
      List<Routed> routed = new ArrayList<>();
      for (Routable event : routables) {
        List<String> errors = new ArrayList<>();
        List<UUID> started = new ArrayList<>();
        List<String> startedWorkflows = new ArrayList<>();
        for (Router.Route route : event.routes()) {
          if (route instanceof Router.Route.Failed failed) {
            errors.add(failed.via() + ": " + failed.error());
            continue;
          }
          Router.Route.Start start = (Router.Route.Start) route;
          StartOutcome outcome = next.next();
          if (outcome instanceof StartOutcome.Started s) {
            started.add(s.id());
            startedWorkflows.add(start.workflow());
          } else if (outcome instanceof StartOutcome.UnknownWorkflow) {
            errors.add(start.via() + ": there is no workflow named '" + start.workflow() + "'");
          } else if (outcome instanceof StartOutcome.DisabledWorkflow) {
            errors.add(start.via() + ": workflow '" + start.workflow() + "' is disabled");
          }
        }
        routed.add(new Routed(event.eventId(), status(event.routes(), errors), errors.isEmpty() ? null : String.join("; ", errors),
            started, startedWorkflows, false));
      }
      return routed;
    });
  }

  /** After the commit: counts the started executions and says why an event failed. */
  private Outcome done(Routed routed) {
    routed.startedWorkflows().forEach(workflow -> metrics.started(workflow, TRIGGERED_BY));
    if (routed.error() != null) {
      log.warn("Event {} failed to route: {}", routed.eventId(), routed.error());
    }
    return new Outcome(routed.eventId(), routed.status(), routed.started(), routed.redelivery());
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

package dev.orca.orchestrator.trigger;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.jsonb;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** The only place that knows the SQL of {@code events}: one row per (source, delivery id). */
@Repository
class PostgresEventStore {
  private final DatabaseClient db;
  private final JsonMapper json;

  PostgresEventStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** The event's row: {@code fresh} when this call inserted it, else the earlier delivery's row and status. */
  record Recorded(UUID id, String status, boolean fresh) {
    boolean finished() {
      return !status.equals("processing") && !status.equals("pending");
    }
  }

  /**
   * Inserts the event as {@code processing}, or finds the row of an earlier delivery of it. Concurrent
   * deliveries (a rebalance) wait on the unique key, so only one of them inserts.
   */
  Mono<Recorded> record(WebhookEvent event) {
    return db.sql("""
            WITH ins AS (
              INSERT INTO events (source, event_type, delivery_id, payload, status)
              VALUES (:source, :type, :delivery, :payload, 'processing')
              ON CONFLICT ON CONSTRAINT uq_events_source_delivery_id DO NOTHING
              RETURNING id, status)
            SELECT id, status, true AS fresh FROM ins
            UNION ALL
            SELECT id, status, false FROM events WHERE source = :source AND delivery_id = :delivery AND NOT EXISTS (SELECT 1 FROM ins)
            """)
        .bind("source", event.source())
        .bind("type", event.type())
        .bind("delivery", event.deliveryId())
        .bind("payload", jsonb(event.payload(), json))
        .map(row -> new Recorded(row.get("id", UUID.class), row.get("status", String.class),
            Boolean.TRUE.equals(row.get("fresh", Boolean.class))))
        .one()
        // A concurrent delivery committed after this statement's snapshot: its row is visible to the next one.
        .switchIfEmpty(Mono.defer(() -> record(event)));
  }

  /**
   * As {@link #record} for a batch of events with distinct (source, delivery id), in one statement: the
   * rows in the order given. A row another transaction committed after this statement's snapshot is not
   * seen by it; the statement is then run again (it inserts nothing more), so every event has its row.
   */
  Mono<List<Recorded>> recordAll(List<WebhookEvent> batch) {
    return db.sql("""
            WITH given AS (
              SELECT * FROM unnest(CAST(:sources AS text[]), CAST(:types AS text[]), CAST(:deliveries AS text[]),
                                   CAST(:payloads AS text[])) WITH ORDINALITY AS g(source, event_type, delivery_id, payload, ord)),
            ins AS (
              INSERT INTO events (source, event_type, delivery_id, payload, status)
              SELECT source, event_type, delivery_id, CAST(payload AS jsonb), 'processing' FROM given ORDER BY ord
              ON CONFLICT ON CONSTRAINT uq_events_source_delivery_id DO NOTHING
              RETURNING id, source, delivery_id, status)
            SELECT coalesce(i.id, e.id) AS id, coalesce(i.status, e.status) AS status, i.id IS NOT NULL AS fresh
            FROM given g
            LEFT JOIN ins i ON i.source = g.source AND i.delivery_id = g.delivery_id
            LEFT JOIN events e ON e.source = g.source AND e.delivery_id = g.delivery_id
            ORDER BY g.ord
            """)
        .bind("sources", batch.stream().map(WebhookEvent::source).toArray(String[]::new))
        .bind("types", batch.stream().map(WebhookEvent::type).toArray(String[]::new))
        .bind("deliveries", batch.stream().map(WebhookEvent::deliveryId).toArray(String[]::new))
        .bind("payloads", batch.stream().map(e -> json.writeValueAsString(e.payload())).toArray(String[]::new))
        .map(row -> Optional.ofNullable(row.get("id", UUID.class))
            .map(id -> new Recorded(id, row.get("status", String.class), Boolean.TRUE.equals(row.get("fresh", Boolean.class)))))
        .all()
        .collectList()
        .flatMap(rows -> rows.stream().allMatch(Optional::isPresent)
            ? Mono.just(rows.stream().map(Optional::get).toList())
            : recordAll(batch));
  }

  /** The final status of a routed event, as {@link #finish} writes it. */
  record Finish(UUID id, String status, String error) {}

  /** {@link #finish} for many events in one statement. */
  Mono<Void> finishAll(List<Finish> finished) {
    if (finished.isEmpty()) {
      return Mono.empty();
    }
    List<String> ids = new ArrayList<>();
    List<String> statuses = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    for (Finish f : finished) {
      ids.add(f.id().toString());
      statuses.add(f.status());
      errors.add(f.error());
    }
    return db.sql("""
            UPDATE events e SET status = f.status, error = f.error, processed_at = now()
            FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:errors AS text[])) AS f(id, status, error)
            WHERE e.id = f.id
            """)
        .bind("ids", ids.toArray(String[]::new))
        .bind("statuses", statuses.toArray(String[]::new))
        .bind("errors", errors.toArray(String[]::new))
        .then();
  }

  /** {@code processed}, {@code ignored} or {@code failed} (with {@code error}). */
  Mono<Void> finish(UUID id, String status, String error) {
    var spec = db.sql("UPDATE events SET status = :status, error = :error, processed_at = now() WHERE id = :id")
        .bind("id", id)
        .bind("status", status);
    return bind(spec, "error", error, String.class).then();
  }
}

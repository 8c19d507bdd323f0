package dev.orca.orchestrator.trigger;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.jsonb;

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

  /** {@code processed}, {@code ignored} or {@code failed} (with {@code error}). */
  Mono<Void> finish(UUID id, String status, String error) {
    var spec = db.sql("UPDATE events SET status = :status, error = :error, processed_at = now() WHERE id = :id")
        .bind("id", id)
        .bind("status", status);
    return bind(spec, "error", error, String.class).then();
  }
}

package dev.orca.orchestrator.trigger;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.jsonb;
import static dev.orca.orchestrator.sql.Sql.readJson;

import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The only place that knows the SQL of {@code event_subscriptions}; the workflow is named, stored by id. */
@Repository
class PostgresSubscriptionStore {
  private static final String SELECT = """
      SELECT s.id, s.name, s.source, s.event_type_pattern, s.filter_expression, w.name AS workflow, s.input_mapping,
             s.enabled, s.created_at, s.updated_at
      FROM event_subscriptions s JOIN workflows w ON w.id = s.workflow_id
      """;

  private final DatabaseClient db;
  private final JsonMapper json;

  PostgresSubscriptionStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** The values a create or update writes; {@code workflow} is a workflow name. */
  record Fields(String name, String source, String eventTypePattern, String filterExpression, String workflow,
      JsonNode inputMapping, boolean enabled) {}

  /** Empty when the workflow does not exist; a duplicate name errors with a unique violation. */
  Mono<Subscription> create(Fields f) {
    return write("""
        WITH s AS (
          INSERT INTO event_subscriptions (name, source, event_type_pattern, filter_expression, workflow_id, input_mapping, enabled)
          SELECT :name, :source, :pattern, :filter, w.id, :mapping, :enabled FROM workflows w WHERE w.name = :workflow
          RETURNING *)
        """, f, f.name());
  }

  /** Replaces every field of subscription {@code name}; empty when it or the workflow does not exist. */
  Mono<Subscription> update(String name, Fields f) {
    return write("""
        WITH s AS (
          UPDATE event_subscriptions SET source = :source, event_type_pattern = :pattern, filter_expression = :filter,
                 workflow_id = w.id, input_mapping = :mapping, enabled = :enabled
          FROM workflows w WHERE w.name = :workflow AND event_subscriptions.name = :name
          RETURNING event_subscriptions.*)
        """, f, name);
  }

  private Mono<Subscription> write(String cte, Fields f, String name) {
    var spec = db.sql(cte + SELECT.replace("FROM event_subscriptions s", "FROM s"))
        .bind("name", name)
        .bind("source", f.source())
        .bind("pattern", f.eventTypePattern())
        .bind("workflow", f.workflow())
        .bind("mapping", jsonb(f.inputMapping(), json))
        .bind("enabled", f.enabled());
    spec = bind(spec, "filter", f.filterExpression(), String.class);
    return spec.map(this::subscription).one();
  }

  Mono<Boolean> delete(String name) {
    return db.sql("DELETE FROM event_subscriptions WHERE name = :name").bind("name", name)
        .fetch().rowsUpdated().map(n -> n > 0);
  }

  Mono<Subscription> find(String name) {
    return db.sql(SELECT + " WHERE s.name = :name").bind("name", name).map(this::subscription).one();
  }

  /** Ordered by name, after {@code afterName} (exclusive) when given. */
  Flux<Subscription> list(String afterName, int limit) {
    var spec = db.sql(SELECT + """
         WHERE (CAST(:after AS varchar) IS NULL OR s.name > CAST(:after AS varchar))
         ORDER BY s.name LIMIT :limit
        """).bind("limit", limit);
    return bind(spec, "after", afterName, String.class).map(this::subscription).all();
  }

  /** The enabled subscriptions of a source whose workflow is enabled, in name order. */
  Flux<Subscription> enabledFor(String source) {
    return db.sql(SELECT + " WHERE s.source = :source AND s.enabled AND w.enabled ORDER BY s.name")
        .bind("source", source)
        .map(this::subscription)
        .all();
  }

  private Subscription subscription(Readable row) {
    return new Subscription(
        row.get("id", UUID.class),
        row.get("name", String.class),
        row.get("source", String.class),
        row.get("event_type_pattern", String.class),
        row.get("filter_expression", String.class),
        row.get("workflow", String.class),
        readJson(row, "input_mapping", json),
        Boolean.TRUE.equals(row.get("enabled", Boolean.class)),
        row.get("created_at", OffsetDateTime.class),
        row.get("updated_at", OffsetDateTime.class));
  }
}

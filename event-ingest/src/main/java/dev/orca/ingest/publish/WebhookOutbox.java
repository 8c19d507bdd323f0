package dev.orca.ingest.publish;

import dev.orca.ingest.Source;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code webhook_outbox}: one row per accepted delivery. Its unique {@code (source, delivery_id)} is
 * the de-duplication every replica shares; unpublished rows are the queue the relay drains.
 */
@Repository
public class WebhookOutbox {
  private static final int COLUMNS = 7;
  private static final TypeReference<LinkedHashMap<String, String>> HEADERS = new TypeReference<>() {};

  /*
   * Inserts the batch in order, skipping deliveries already there. A record whose key has an older
   * unpublished row the relay owns (relay_after passed: queued while Kafka was away, or released after
   * a failed send) must not overtake it: it is inserted relayable at once and reported "behind". The
   * others are leased ($1) to this replica for sending directly. The sub-select sees the snapshot
   * before this statement, so not the batch's own rows.
   */
  private static final String INSERT = """
      WITH input (ord, source, delivery_id, topic, record_key, headers, payload) AS (VALUES %s),
      ins AS (
        INSERT INTO webhook_outbox (source, delivery_id, topic, record_key, headers, payload, relay_after)
        SELECT i.source, i.delivery_id, i.topic, i.record_key, i.headers, i.payload,
          CASE WHEN EXISTS (
                 SELECT 1 FROM webhook_outbox o
                 WHERE o.published_at IS NULL AND o.relay_after <= now() AND o.topic = i.topic
                   AND o.record_key IS NOT DISTINCT FROM i.record_key)
               THEN now() ELSE now() + $1::interval END
        FROM input i ORDER BY i.ord
        ON CONFLICT (source, delivery_id) DO NOTHING
        RETURNING id, source, delivery_id, relay_after <= now() AS behind)
      SELECT id, source, delivery_id, behind FROM ins ORDER BY id
      """;

  /*
   * Claims the oldest relayable rows nobody else holds; a row whose key has an older unpublished row
   * outside the claim (held by another relay, or still being sent directly) waits, so one key's
   * records reach Kafka in order.
   */
  private static final String CLAIM = """
      WITH claimed AS (
        SELECT id FROM webhook_outbox WHERE published_at IS NULL AND relay_after <= now()
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
      SELECT o.id, o.source, o.delivery_id, o.topic, o.record_key, o.headers::text AS headers, o.payload
      FROM webhook_outbox o
      WHERE o.id IN (SELECT id FROM claimed)
        AND NOT EXISTS (
          SELECT 1 FROM webhook_outbox older
          WHERE older.published_at IS NULL AND older.topic = o.topic
            AND older.record_key IS NOT DISTINCT FROM o.record_key
            AND older.id < o.id AND older.id NOT IN (SELECT id FROM claimed))
      ORDER BY o.id
      """;

  private static final String MARK_PUBLISHED = """
      UPDATE webhook_outbox SET published_at = now() WHERE id = ANY($1) AND published_at IS NULL
      """;

  private static final String RELEASE = """
      UPDATE webhook_outbox SET relay_after = now() WHERE id = ANY($1) AND published_at IS NULL
      """;

  private static final String PRUNE = """
      DELETE FROM webhook_outbox WHERE id IN (
        SELECT id FROM webhook_outbox WHERE published_at < now() - $1::interval LIMIT $2)
      """;

  private final DatabaseClient db;
  private final ObjectMapper json;

  public WebhookOutbox(DatabaseClient db, ObjectMapper json) {
    this.db = db;
    this.json = json;
  }

  /** A row the batch insert created: its id, and whether it waits behind a queued row (relay's, not ours). */
  record Inserted(Source source, String deliveryId, long id, boolean behind) {}

  /**
   * Inserts new deliveries (in order, one autocommit statement), returning those that were new; known
   * ones are skipped. New rows are leased to this replica for {@code lease} unless they are behind
   * (zero lease: everything goes to the relay).
   */
  Flux<Inserted> insert(List<OutgoingRecord> records, Duration lease) {
    StringBuilder values = new StringBuilder();
    for (int i = 0; i < records.size(); i++) {
      int p = i * COLUMNS + 1;
      values.append(i == 0 ? "" : ", ").append("($").append(p + 1).append("::int, $").append(p + 2)
          .append(", $").append(p + 3).append(", $").append(p + 4).append(", $").append(p + 5)
          .append(", $").append(p + 6).append("::jsonb, $").append(p + 7).append("::bytea)");
    }
    String sql = INSERT.formatted(values);
    // The SPI statement: DatabaseClient's bind copies all earlier bindings on each call (quadratic here).
    return db.inConnectionMany(connection -> {
      Statement statement = connection.createStatement(sql).bind(0, lease.toMillis() + " milliseconds");
      for (int i = 0; i < records.size(); i++) {
        OutgoingRecord r = records.get(i);
        int p = i * COLUMNS + 1;
        statement.bind(p, i).bind(p + 1, r.source().id()).bind(p + 2, r.deliveryId()).bind(p + 3, r.topic());
        if (r.key() == null) {
          statement.bindNull(p + 4, String.class);
        } else {
          statement.bind(p + 4, r.key());
        }
        statement.bind(p + 5, json.writeValueAsString(r.headers())).bind(p + 6, r.value());
      }
      return Flux.from(statement.execute()).flatMap(result -> result.map((row, meta) -> new Inserted(
          Source.of(row.get("source", String.class)), row.get("delivery_id", String.class),
          row.get("id", Long.class), Boolean.TRUE.equals(row.get("behind", Boolean.class)))));
    });
  }

  /**
   * Up to {@code limit} unpublished records in id order, row-locked until the surrounding transaction
   * ends; a record whose key has an older unpublished row held elsewhere is left out.
   */
  Flux<StoredRecord> claim(int limit) {
    return db.sql(CLAIM).bind(0, limit).map(this::stored).all();
  }

  Mono<Void> markPublished(List<Long> ids) {
    if (ids.isEmpty()) {
      return Mono.empty();
    }
    return db.sql(MARK_PUBLISHED).bind(0, ids.toArray(Long[]::new)).then();
  }

  /** Hands rows whose direct send failed to the relay now, instead of when their lease runs out. */
  Mono<Void> release(List<Long> ids) {
    if (ids.isEmpty()) {
      return Mono.empty();
    }
    return db.sql(RELEASE).bind(0, ids.toArray(Long[]::new)).then();
  }

  /** Forgets up to {@code limit} deliveries published longer ago than {@code retention}; returns how many. */
  Mono<Long> prune(Duration retention, int limit) {
    return db.sql(PRUNE).bind(0, retention.toSeconds() + " seconds").bind(1, limit).fetch().rowsUpdated();
  }

  private StoredRecord stored(Readable row) {
    Map<String, String> headers = json.readValue(row.get("headers", String.class), HEADERS);
    Source source = Source.of(row.get("source", String.class));
    return new StoredRecord(row.get("id", Long.class), new OutgoingRecord(source, row.get("delivery_id", String.class),
        row.get("topic", String.class), row.get("record_key", String.class), headers, row.get("payload", byte[].class)));
  }
}

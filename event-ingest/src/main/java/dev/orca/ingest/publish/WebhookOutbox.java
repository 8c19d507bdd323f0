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
 * the de-duplication every replica shares. A delivery sent directly is recorded without its payload
 * and leased to the replica sending it; the payload is stored only when the webhook must wait for the
 * relay (V11 lists the states). Unpublished rows with a payload are the queue the relay drains.
 */
@Repository
public class WebhookOutbox {
  private static final TypeReference<LinkedHashMap<String, String>> HEADERS = new TypeReference<>() {};

  /*
   * Records the batch's deliveries in order, leased ($1) to this replica, skipping those already
   * there, except a delivery whose row was never acknowledged (no payload, not published, lease over:
   * the replica sending it died), which this one takes over. A record whose key has queued rows must
   * not overtake them: it is reported "behind" (its payload is then stored for the relay). The
   * sub-select sees the snapshot before this statement. One statement text for every batch size.
   */
  private static final String RECORD = """
      WITH ins AS (
        INSERT INTO webhook_outbox AS w (source, delivery_id, topic, record_key, relay_after)
        SELECT i.source, i.delivery_id, i.topic, i.record_key, now() + $1::interval
        FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
          WITH ORDINALITY AS i (source, delivery_id, topic, record_key, ord)
        ORDER BY i.ord
        ON CONFLICT (source, delivery_id) DO UPDATE SET relay_after = EXCLUDED.relay_after
          WHERE w.payload IS NULL AND w.published_at IS NULL AND w.relay_after <= now()
        RETURNING w.id, w.source, w.delivery_id, w.topic, w.record_key)
      SELECT ins.id, ins.source, ins.delivery_id, EXISTS (
          SELECT 1 FROM webhook_outbox o
          WHERE o.published_at IS NULL AND o.payload IS NOT NULL
            AND o.topic = ins.topic AND o.record_key IS NOT DISTINCT FROM ins.record_key) AS behind
      FROM ins ORDER BY ins.id
      """;

  /*
   * Kafka away: the batch goes straight into the queue, payload and all, relayable at once; a
   * delivery never acknowledged (as above) is taken over the same way.
   */
  private static final String QUEUE = """
      INSERT INTO webhook_outbox AS w (source, delivery_id, topic, record_key, headers, payload, relay_after)
      SELECT i.source, i.delivery_id, i.topic, i.record_key, i.headers, i.payload, now()
      FROM (VALUES %s) AS i (ord, source, delivery_id, topic, record_key, headers, payload)
      ORDER BY i.ord
      ON CONFLICT (source, delivery_id) DO UPDATE
        SET headers = EXCLUDED.headers, payload = EXCLUDED.payload, relay_after = now()
        WHERE w.payload IS NULL AND w.published_at IS NULL AND w.relay_after <= now()
      RETURNING w.id, w.source, w.delivery_id, false AS behind
      """;

  /* Stores the payloads of leased rows that must wait for the relay, and hands them to it. */
  private static final String STORE = """
      UPDATE webhook_outbox w SET headers = i.headers, payload = i.payload, relay_after = now()
      FROM (VALUES %s) AS i (id, headers, payload)
      WHERE w.id = i.id AND w.published_at IS NULL AND w.payload IS NULL
      RETURNING w.id
      """;

  /*
   * Claims the oldest queued rows nobody else holds; a row whose key has an older unpublished row
   * outside the claim (held by another relay, or being sent directly) waits, so one key's records
   * reach Kafka in order. A row never acknowledged holds nothing up (nothing will send it).
   */
  private static final String CLAIM = """
      WITH claimed AS (
        SELECT id FROM webhook_outbox
        WHERE published_at IS NULL AND payload IS NOT NULL AND relay_after <= now()
        ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
      SELECT o.id, o.source, o.delivery_id, o.topic, o.record_key, o.headers::text AS headers, o.payload
      FROM webhook_outbox o
      WHERE o.id IN (SELECT id FROM claimed)
        AND NOT EXISTS (
          SELECT 1 FROM webhook_outbox older
          WHERE older.published_at IS NULL AND older.topic = o.topic
            AND older.record_key IS NOT DISTINCT FROM o.record_key
            AND older.id < o.id AND older.id NOT IN (SELECT id FROM claimed)
            AND (older.payload IS NOT NULL OR older.relay_after > now()))
      ORDER BY o.id
      """;

  private static final String MARK_PUBLISHED = """
      UPDATE webhook_outbox SET published_at = now() WHERE id = ANY($1) AND published_at IS NULL
      """;

  /* Published deliveries past retention, and deliveries never acknowledged whose lease ended as long ago. */
  private static final String PRUNE = """
      DELETE FROM webhook_outbox WHERE id IN (
        SELECT id FROM webhook_outbox
        WHERE published_at < now() - $1::interval
           OR (published_at IS NULL AND payload IS NULL AND relay_after < now() - $1::interval)
        LIMIT $2)
      """;

  private final DatabaseClient db;
  private final ObjectMapper json;

  public WebhookOutbox(DatabaseClient db, ObjectMapper json) {
    this.db = db;
    this.json = json;
  }

  /** A row the batch created (or took over): its id, and whether it waits behind a queued row of its key. */
  record Recorded(Source source, String deliveryId, long id, boolean behind) {}

  /**
   * Records new deliveries (in order, one autocommit statement) without their payloads, leased to this
   * replica for {@code lease}; returns those that were new. Known ones are skipped.
   */
  Flux<Recorded> record(List<OutgoingRecord> records, Duration lease) {
    int n = records.size();
    String[] sources = new String[n];
    String[] deliveries = new String[n];
    String[] topics = new String[n];
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      OutgoingRecord r = records.get(i);
      sources[i] = r.source().id();
      deliveries[i] = r.deliveryId();
      topics[i] = r.topic();
      keys[i] = r.key();
    }
    return db.sql(RECORD).bind(0, lease.toMillis() + " milliseconds").bind(1, sources).bind(2, deliveries)
        .bind(3, topics).bind(4, keys).map(WebhookOutbox::recorded).all();
  }

  /** Queues new deliveries, payloads included, for the relay (in order, one statement); returns those that were new. */
  Flux<Recorded> queue(List<OutgoingRecord> records) {
    String sql = QUEUE.formatted(values(records.size(), "::int", "", "", "", "", "::jsonb", "::bytea"));
    // The SPI statement: DatabaseClient's bind copies all earlier bindings on each call (quadratic here).
    return db.inConnectionMany(connection -> {
      Statement statement = connection.createStatement(sql);
      int p = 0;
      for (int i = 0; i < records.size(); i++) {
        OutgoingRecord r = records.get(i);
        statement.bind(p++, i).bind(p++, r.source().id()).bind(p++, r.deliveryId()).bind(p++, r.topic());
        if (r.key() == null) {
          statement.bindNull(p++, String.class);
        } else {
          statement.bind(p++, r.key());
        }
        statement.bind(p++, json.writeValueAsString(r.headers())).bind(p++, r.value());
      }
      return Flux.from(statement.execute()).flatMap(result -> result.map(WebhookOutbox::recorded));
    });
  }

  /**
   * Stores the payloads of recorded rows this replica holds and releases them to the relay; returns
   * the ids stored (a row no longer held, e.g. published meanwhile, is not).
   */
  Flux<Long> store(List<StoredRecord> records) {
    if (records.isEmpty()) {
      return Flux.empty();
    }
    String sql = STORE.formatted(values(records.size(), "::bigint", "::jsonb", "::bytea"));
    return db.inConnectionMany(connection -> {
      Statement statement = connection.createStatement(sql);
      int p = 0;
      for (StoredRecord r : records) {
        statement.bind(p++, r.id()).bind(p++, json.writeValueAsString(r.record().headers())).bind(p++, r.record().value());
      }
      return Flux.from(statement.execute()).flatMap(result -> result.map(row -> row.get("id", Long.class)));
    });
  }

  /**
   * Up to {@code limit} queued records in id order, row-locked until the surrounding transaction
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

  /** Forgets up to {@code limit} deliveries published (or abandoned) longer ago than {@code retention}; returns how many. */
  Mono<Long> prune(Duration retention, int limit) {
    return db.sql(PRUNE).bind(0, retention.toSeconds() + " seconds").bind(1, limit).fetch().rowsUpdated();
  }

  /** {@code ($1::int, $2, …), ($8::int, …)}: {@code rows} tuples of the given casts' columns. */
  private static String values(int rows, String... casts) {
    StringBuilder values = new StringBuilder();
    int p = 1;
    for (int i = 0; i < rows; i++) {
      values.append(i == 0 ? "(" : ", (");
      for (int c = 0; c < casts.length; c++) {
        values.append(c == 0 ? "$" : ", $").append(p++).append(casts[c]);
      }
      values.append(')');
    }
    return values.toString();
  }

  private static Recorded recorded(Readable row) {
    return new Recorded(Source.of(row.get("source", String.class)), row.get("delivery_id", String.class),
        row.get("id", Long.class), Boolean.TRUE.equals(row.get("behind", Boolean.class)));
  }

  private StoredRecord stored(Readable row) {
    Map<String, String> headers = json.readValue(row.get("headers", String.class), HEADERS);
    Source source = Source.of(row.get("source", String.class));
    return new StoredRecord(row.get("id", Long.class), new OutgoingRecord(source, row.get("delivery_id", String.class),
        row.get("topic", String.class), row.get("record_key", String.class), headers, row.get("payload", byte[].class)));
  }
}

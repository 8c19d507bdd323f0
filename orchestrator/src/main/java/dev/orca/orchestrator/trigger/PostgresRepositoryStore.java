package dev.orca.orchestrator.trigger;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.bindJson;
import static dev.orca.orchestrator.sql.Sql.readJson;

import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The only place that knows the SQL of {@code repositories}. */
@Repository
class PostgresRepositoryStore {
  private static final String COLUMNS =
      "id, owner, name, full_name, default_branch, enabled, config, created_at, updated_at";

  private final DatabaseClient db;
  private final JsonMapper json;

  PostgresRepositoryStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** A duplicate owner/name errors with a unique violation. */
  Mono<ConfiguredRepository> create(String owner, String name, String defaultBranch, boolean enabled, JsonNode config) {
    return write("INSERT INTO repositories (owner, name, default_branch, enabled, config) "
        + "VALUES (:owner, :name, :branch, :enabled, :config)", owner, name, defaultBranch, enabled, config);
  }

  /** Replaces branch, enabled and config; empty when there is no such repository. */
  Mono<ConfiguredRepository> update(String owner, String name, String defaultBranch, boolean enabled, JsonNode config) {
    return write("UPDATE repositories SET default_branch = :branch, enabled = :enabled, config = :config "
        + "WHERE owner = :owner AND name = :name", owner, name, defaultBranch, enabled, config);
  }

  private Mono<ConfiguredRepository> write(String sql, String owner, String name, String defaultBranch, boolean enabled,
      JsonNode config) {
    var spec = db.sql(sql + " RETURNING " + COLUMNS)
        .bind("owner", owner)
        .bind("name", name)
        .bind("branch", defaultBranch)
        .bind("enabled", enabled);
    return bindJson(spec, "config", config, json).map(this::repository).one();
  }

  Mono<Boolean> delete(String owner, String name) {
    return db.sql("DELETE FROM repositories WHERE owner = :owner AND name = :name")
        .bind("owner", owner).bind("name", name)
        .fetch().rowsUpdated().map(n -> n > 0);
  }

  /** GitHub owner and repository names are case-insensitive: so is this lookup. */
  Mono<ConfiguredRepository> find(String owner, String name) {
    return db.sql("SELECT " + COLUMNS + " FROM repositories WHERE lower(owner) = lower(:owner) AND lower(name) = lower(:name) "
            + "ORDER BY owner = :owner AND name = :name DESC LIMIT 1")
        .bind("owner", owner).bind("name", name)
        .map(this::repository).one();
  }

  /**
   * {@link #find} for many owner/name pairs in one statement: the registered repository of each pair that
   * has one, keyed by the pair as given ({@code owner/name}).
   */
  Mono<Map<String, ConfiguredRepository>> findAll(Collection<List<String>> ownerNames) {
    if (ownerNames.isEmpty()) {
      return Mono.just(Map.of());
    }
    String columns = Arrays.stream(COLUMNS.split(", ")).map("r."::concat).collect(Collectors.joining(", "));
    return db.sql("SELECT DISTINCT ON (w.ord) w.owner || '/' || w.name AS wanted, " + columns + """
             FROM unnest(CAST(:owners AS text[]), CAST(:names AS text[])) WITH ORDINALITY AS w(owner, name, ord)
             JOIN repositories r ON lower(r.owner) = lower(w.owner) AND lower(r.name) = lower(w.name)
             ORDER BY w.ord, r.owner = w.owner AND r.name = w.name DESC
            """)
        .bind("owners", ownerNames.stream().map(on -> on.get(0)).toArray(String[]::new))
        .bind("names", ownerNames.stream().map(on -> on.get(1)).toArray(String[]::new))
        .map(row -> Map.entry(row.get("wanted", String.class), repository(row)))
        .all()
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
  }

  /** Ordered by full name, after {@code afterFullName} (exclusive) when given. */
  Flux<ConfiguredRepository> list(String afterFullName, int limit) {
    var spec = db.sql("SELECT " + COLUMNS + """
         FROM repositories
         WHERE (CAST(:after AS varchar) IS NULL OR full_name > CAST(:after AS varchar))
         ORDER BY full_name LIMIT :limit
        """).bind("limit", limit);
    return bind(spec, "after", afterFullName, String.class).map(this::repository).all();
  }

  private ConfiguredRepository repository(Readable row) {
    return new ConfiguredRepository(
        row.get("id", UUID.class),
        row.get("owner", String.class),
        row.get("name", String.class),
        row.get("full_name", String.class),
        row.get("default_branch", String.class),
        Boolean.TRUE.equals(row.get("enabled", Boolean.class)),
        readJson(row, "config", json),
        row.get("created_at", OffsetDateTime.class),
        row.get("updated_at", OffsetDateTime.class));
  }
}

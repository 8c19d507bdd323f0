package dev.orca.orchestrator.agent.registry;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.bindJson;

import dev.orca.orchestrator.sql.Sql;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** The SQL of {@code organizations}. Deleting refuses, in the same statement, an organization agents still use. */
@Repository
class PostgresOrganizationStore {
  private static final String COLUMNS = "slug, name, description, url, settings, created_at, updated_at";

  /** How a delete went: {@code present} 0 → unknown slug; {@code deleted} 0 with {@code agents} > 0 → in use. */
  record Deletion(long present, long deleted, long agents) {}

  private final DatabaseClient db;
  private final JsonMapper json;

  PostgresOrganizationStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  Mono<Organization> create(Organization o) {
    return values(db.sql("INSERT INTO organizations (slug, name, description, url, settings) "
            + "VALUES (:slug, :name, :description, :url, :settings) RETURNING " + COLUMNS), o)
        .map(this::organization).one()
        .onErrorMap(RegistryErrors::isUniqueViolation, e -> RegistryException.exists("organization", o.slug(), e));
  }

  Mono<Organization> replace(Organization o) {
    return values(db.sql("UPDATE organizations SET name = :name, description = :description, url = :url, "
            + "settings = :settings WHERE slug = :slug RETURNING " + COLUMNS), o)
        .map(this::organization).one();
  }

  Mono<Deletion> delete(String slug) {
    return db.sql("""
            WITH used AS (SELECT count(*) AS n FROM agents WHERE organization_slug @> ARRAY[CAST(:slug AS text)]),
            gone AS (DELETE FROM organizations WHERE slug = :slug AND (SELECT n FROM used) = 0 RETURNING slug)
            SELECT (SELECT count(*) FROM organizations WHERE slug = :slug) AS present,
                   (SELECT count(*) FROM gone) AS deleted, (SELECT n FROM used) AS agents
            """)
        .bind("slug", slug)
        .map(row -> new Deletion(row.get("present", Long.class), row.get("deleted", Long.class), row.get("agents", Long.class)))
        .one();
  }

  Mono<Organization> find(String slug) {
    return db.sql("SELECT " + COLUMNS + " FROM organizations WHERE slug = :slug").bind("slug", slug)
        .map(this::organization).one();
  }

  Flux<Organization> list(String after, int limit) {
    return db.sql("SELECT " + COLUMNS + " FROM organizations WHERE (CAST(:after AS text) IS NULL OR slug > CAST(:after AS text)) "
            + "ORDER BY slug LIMIT :limit")
        .bind("after", Parameter.fromOrEmpty(after, String.class))
        .bind("limit", limit)
        .map(this::organization).all();
  }

  /** Those of {@code slugs} that name no organization. */
  Flux<String> missing(List<String> slugs) {
    return db.sql("SELECT s FROM unnest(CAST(:slugs AS text[])) AS s "
            + "WHERE NOT EXISTS (SELECT 1 FROM organizations o WHERE o.slug = s)")
        .bind("slugs", slugs.toArray(String[]::new))
        .map(row -> row.get("s", String.class)).all();
  }

  private GenericExecuteSpec values(GenericExecuteSpec spec, Organization o) {
    spec = spec.bind("slug", o.slug()).bind("name", o.name());
    spec = bind(spec, "description", o.description(), String.class);
    spec = bind(spec, "url", o.url(), String.class);
    return bindJson(spec, "settings", o.settings(), json);
  }

  private Organization organization(Readable row) {
    return new Organization(row.get("slug", String.class), row.get("name", String.class),
        row.get("description", String.class), row.get("url", String.class), Sql.readJson(row, "settings", json),
        row.get("created_at", OffsetDateTime.class), row.get("updated_at", OffsetDateTime.class));
  }
}

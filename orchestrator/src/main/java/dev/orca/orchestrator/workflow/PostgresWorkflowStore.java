package dev.orca.orchestrator.workflow;

import dev.orca.orchestrator.sql.Sql;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The only place that knows the SQL of {@code workflows} and {@code workflow_versions}. Creating and
 * updating are each one statement (a data-modifying CTE writes the workflow row and its version row),
 * so they are one transaction without holding a connection across calls.
 */
@Repository
public class PostgresWorkflowStore implements WorkflowStore {
  private static final String COLUMNS = "id, name, description, version, enabled, definition, created_at, updated_at";

  private static final String CREATE = """
      WITH w AS (
        INSERT INTO workflows (name, description, definition)
        VALUES (:name, :description, :definition)
        RETURNING id, name, description, version, enabled, definition, created_at, updated_at),
      v AS (
        INSERT INTO workflow_versions (workflow_id, version, definition, created_at)
        SELECT id, version, definition, created_at FROM w)
      SELECT * FROM w
      """;

  private static final String UPDATE = """
      WITH w AS (
        UPDATE workflows
           SET definition = :definition,
               version = version + 1,
               description = CASE WHEN :keepDescription THEN description ELSE CAST(:description AS text) END,
               enabled = COALESCE(CAST(:enabled AS boolean), enabled)
         WHERE name = :name
        RETURNING id, name, description, version, enabled, definition, created_at, updated_at),
      v AS (
        INSERT INTO workflow_versions (workflow_id, version, definition, created_at)
        SELECT id, version, definition, updated_at FROM w)
      SELECT * FROM w
      """;

  private static final String DISABLE = """
      WITH target AS (SELECT id, enabled FROM workflows WHERE name = :name),
      off AS (
        UPDATE workflows w SET enabled = false
          FROM target t
         WHERE w.id = t.id AND t.enabled
        RETURNING w.id)
      SELECT count(*) AS found FROM target
      """;

  private static final String FIND_BY_NAME = "SELECT " + COLUMNS + " FROM workflows WHERE name = :name";

  private static final String FIND_VERSION_BY_NAME = """
      SELECT v.workflow_id, w.name, v.version, v.definition, v.created_at
        FROM workflow_versions v
        JOIN workflows w ON w.id = v.workflow_id
       WHERE w.name = :name AND v.version = :version
      """;

  private static final String FIND_VERSION_BY_ID = """
      SELECT v.workflow_id, w.name, v.version, v.definition, v.created_at
        FROM workflow_versions v
        JOIN workflows w ON w.id = v.workflow_id
       WHERE v.workflow_id = :workflowId AND v.version = :version
      """;

  private static final String LIST = """
      SELECT id, name, description, version, enabled, definition, created_at, updated_at
        FROM workflows
       WHERE (CAST(:after AS varchar) IS NULL OR name > CAST(:after AS varchar))
         AND (CAST(:enabled AS boolean) IS NULL OR enabled = CAST(:enabled AS boolean))
       ORDER BY name
       LIMIT :limit
      """;

  private final DatabaseClient db;
  private final JsonMapper json;

  public PostgresWorkflowStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  @Override
  public Mono<Workflow> create(String name, String description, JsonNode definition) {
    return db.sql(CREATE)
        .bind("name", name)
        .bind("description", Parameter.fromOrEmpty(description, String.class))
        .bind("definition", jsonb(definition))
        .map(this::workflow)
        .one()
        .onErrorMap(Sql::isUniqueViolation, e -> new WorkflowAlreadyExistsException(name, e));
  }

  @Override
  public Mono<Workflow> update(String name, JsonNode definition, boolean keepDescription, String description,
      Boolean enabled) {
    return db.sql(UPDATE)
        .bind("name", name)
        .bind("definition", jsonb(definition))
        .bind("keepDescription", keepDescription)
        .bind("description", Parameter.fromOrEmpty(keepDescription ? null : description, String.class))
        .bind("enabled", Parameter.fromOrEmpty(enabled, Boolean.class))
        .map(this::workflow)
        .one();
  }

  @Override
  public Mono<Boolean> disable(String name) {
    return db.sql(DISABLE)
        .bind("name", name)
        .map(row -> row.get("found", Long.class))
        .one()
        .map(found -> found != null && found > 0);
  }

  @Override
  public Mono<Workflow> findByName(String name) {
    return db.sql(FIND_BY_NAME).bind("name", name).map(this::workflow).one();
  }

  @Override
  public Mono<WorkflowVersion> findVersion(String name, int version) {
    return db.sql(FIND_VERSION_BY_NAME).bind("name", name).bind("version", version).map(this::version).one();
  }

  @Override
  public Mono<WorkflowVersion> findVersion(UUID workflowId, int version) {
    return db.sql(FIND_VERSION_BY_ID).bind("workflowId", workflowId).bind("version", version).map(this::version).one();
  }

  @Override
  public Flux<Workflow> list(String afterName, Boolean enabled, int limit) {
    return db.sql(LIST)
        .bind("after", Parameter.fromOrEmpty(afterName, String.class))
        .bind("enabled", Parameter.fromOrEmpty(enabled, Boolean.class))
        .bind("limit", limit)
        .map(this::workflow)
        .all();
  }

  private Json jsonb(JsonNode node) {
    return Sql.jsonb(node, json);
  }

  private JsonNode readJson(Readable row, String column) {
    return Sql.readJson(row, column, json);
  }

  private Workflow workflow(Readable row) {
    return new Workflow(
        row.get("id", UUID.class),
        row.get("name", String.class),
        row.get("description", String.class),
        row.get("version", Integer.class),
        Boolean.TRUE.equals(row.get("enabled", Boolean.class)),
        readJson(row, "definition"),
        row.get("created_at", OffsetDateTime.class),
        row.get("updated_at", OffsetDateTime.class));
  }

  private WorkflowVersion version(Readable row) {
    return new WorkflowVersion(
        row.get("workflow_id", UUID.class),
        row.get("name", String.class),
        row.get("version", Integer.class),
        readJson(row, "definition"),
        row.get("created_at", OffsetDateTime.class));
  }
}

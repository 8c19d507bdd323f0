package dev.orca.orchestrator.agent.registry;

import static dev.orca.orchestrator.sql.Sql.bindJson;

import dev.orca.orchestrator.sql.Sql;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SQL of {@code agents}. A CHECK violation the rules let through (they should not) becomes a 400 naming
 * the constraint, so the database stays the last word on the type rules.
 */
@Repository
public class PostgresAgentStore {
  private static final String COLUMNS = "slug, organization_slug, name, description, version, agent_type, department, "
      + "tags, io_schema, capabilities, context, endpoint, llm_config, metadata, created_at, updated_at";

  /** List filters; each null means any. */
  record Filter(String organization, String type, String capability, String tag) {}

  private final DatabaseClient db;
  private final JsonMapper json;

  public PostgresAgentStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  Mono<Agent> create(Agent a) {
    return values(db.sql("""
            INSERT INTO agents (slug, organization_slug, name, description, version, agent_type, department, tags,
                                io_schema, capabilities, context, endpoint, llm_config, metadata)
            VALUES (:slug, :organizations, :name, :description, :version, :type, :department, :tags,
                    :ioSchema, :capabilities, :context, :endpoint, :llmConfig, :metadata)
            RETURNING\s""" + COLUMNS), a)
        .map(this::agent).one()
        .onErrorMap(RegistryErrors::isUniqueViolation, e -> RegistryException.exists("agent", a.slug(), e))
        .onErrorMap(e -> RegistryErrors.checkConstraint(e).isPresent(), e -> checkFailed(e));
  }

  Mono<Agent> replace(Agent a) {
    return values(db.sql("""
            UPDATE agents SET organization_slug = :organizations, name = :name, description = :description,
                   version = :version, agent_type = :type, department = :department, tags = :tags, io_schema = :ioSchema,
                   capabilities = :capabilities, context = :context, endpoint = :endpoint, llm_config = :llmConfig,
                   metadata = :metadata
             WHERE slug = :slug
            RETURNING\s""" + COLUMNS), a)
        .map(this::agent).one()
        .onErrorMap(e -> RegistryErrors.checkConstraint(e).isPresent(), e -> checkFailed(e));
  }

  Mono<Boolean> delete(String slug) {
    return db.sql("DELETE FROM agents WHERE slug = :slug").bind("slug", slug).fetch().rowsUpdated().map(n -> n > 0);
  }

  /** The agent with {@code slug}, or empty. */
  public Mono<Agent> find(String slug) {
    return db.sql("SELECT " + COLUMNS + " FROM agents WHERE slug = :slug").bind("slug", slug).map(this::agent).one();
  }

  Flux<Agent> list(Filter f, String after, int limit) {
    return db.sql("SELECT " + COLUMNS + """
             FROM agents
            WHERE (CAST(:after AS text) IS NULL OR slug > CAST(:after AS text))
              AND (CAST(:organization AS text) IS NULL OR organization_slug @> ARRAY[CAST(:organization AS text)])
              AND (CAST(:type AS text) IS NULL OR agent_type = CAST(:type AS text))
              AND (CAST(:capability AS text) IS NULL OR capabilities @> ARRAY[CAST(:capability AS text)])
              AND (CAST(:tag AS text) IS NULL OR tags @> ARRAY[CAST(:tag AS text)])
            ORDER BY slug
            LIMIT :limit""")
        .bind("after", Parameter.fromOrEmpty(after, String.class))
        .bind("organization", Parameter.fromOrEmpty(f.organization(), String.class))
        .bind("type", Parameter.fromOrEmpty(f.type(), String.class))
        .bind("capability", Parameter.fromOrEmpty(f.capability(), String.class))
        .bind("tag", Parameter.fromOrEmpty(f.tag(), String.class))
        .bind("limit", limit)
        .map(this::agent).all();
  }

  private static RegistryException checkFailed(Throwable e) {
    String constraint = RegistryErrors.checkConstraint(e).orElse("check");
    return RegistryException.invalid("agent", List.of(new RuleViolation("", constraint,
        "the database refused the agent: it breaks rule " + constraint)));
  }

  private GenericExecuteSpec values(GenericExecuteSpec spec, Agent a) {
    spec = spec.bind("slug", a.slug())
        .bind("organizations", a.organizations().toArray(String[]::new))
        .bind("name", a.name())
        .bind("description", a.description())
        .bind("version", a.version())
        .bind("type", a.agentType())
        .bind("department", a.department())
        .bind("tags", a.tags().toArray(String[]::new))
        .bind("capabilities", a.capabilities().toArray(String[]::new))
        .bind("context", a.context());
    spec = bindJson(spec, "ioSchema", a.ioSchema(), json);
    spec = bindJson(spec, "endpoint", a.endpoint(), json);
    spec = bindJson(spec, "llmConfig", a.llmConfig(), json);
    return bindJson(spec, "metadata", a.metadata(), json);
  }

  private Agent agent(Readable row) {
    return new Agent(row.get("slug", String.class), strings(row, "organization_slug"), row.get("name", String.class),
        row.get("description", String.class), row.get("version", String.class), row.get("agent_type", String.class),
        row.get("department", String.class), strings(row, "tags"), Sql.readJson(row, "io_schema", json),
        strings(row, "capabilities"), row.get("context", String.class), Sql.readJson(row, "endpoint", json),
        Sql.readJson(row, "llm_config", json), Sql.readJson(row, "metadata", json),
        row.get("created_at", OffsetDateTime.class), row.get("updated_at", OffsetDateTime.class));
  }

  private static List<String> strings(Readable row, String column) {
    String[] values = row.get(column, String[].class);
    return values == null ? List.of() : Arrays.asList(values);
  }
}

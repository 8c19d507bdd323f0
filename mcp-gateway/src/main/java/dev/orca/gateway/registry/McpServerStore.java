package dev.orca.gateway.registry;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The only place that knows the SQL of {@code mcp_servers}. */
@Repository
class McpServerStore {
  /** A name already taken. */
  static final class DuplicateName extends RuntimeException {
    DuplicateName() {
      super(null, null, false, false);
    }
  }

  private static final String COLUMNS = "id, name, description, endpoint, enabled, config, health_check_url, "
      + "health_status, last_health_check, created_at, updated_at";
  private final DatabaseClient db;
  private final JsonMapper json;

  McpServerStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  Mono<ObjectNode> insert(McpServerInput in) {
    return bind(db.sql("INSERT INTO mcp_servers (name, description, endpoint, enabled, config, health_check_url) "
            + "VALUES (:name, :description, :endpoint, :enabled, :config, :healthCheckUrl) RETURNING " + COLUMNS), in)
        .map(this::row).one()
        .onErrorMap(DataIntegrityViolationException.class, e -> new DuplicateName());
  }

  Mono<ObjectNode> update(String name, McpServerInput in) {
    return bind(db.sql("UPDATE mcp_servers SET name = :name, description = :description, endpoint = :endpoint, "
            + "enabled = :enabled, config = :config, health_check_url = :healthCheckUrl WHERE name = :current RETURNING "
            + COLUMNS), in)
        .bind("current", name)
        .map(this::row).one()
        .onErrorMap(DataIntegrityViolationException.class, e -> new DuplicateName());
  }

  Mono<ObjectNode> find(String name) {
    return db.sql("SELECT " + COLUMNS + " FROM mcp_servers WHERE name = :name").bind("name", name).map(this::row).one();
  }

  /** Up to {@code limit} servers after {@code afterName} (exclusive), by name. */
  Flux<ObjectNode> list(String afterName, int limit) {
    GenericExecuteSpec spec = db.sql("SELECT " + COLUMNS + " FROM mcp_servers WHERE name > :after ORDER BY name LIMIT :limit")
        .bind("after", afterName == null ? "" : afterName)
        .bind("limit", limit);
    return spec.map(this::row).all();
  }

  /** Every registered server, by name. */
  Flux<ObjectNode> all() {
    return db.sql("SELECT " + COLUMNS + " FROM mcp_servers ORDER BY name").map(this::row).all();
  }

  /** Records a health check's outcome ({@code up} or {@code down}). */
  Mono<Void> writeHealth(String name, String status, OffsetDateTime at) {
    return db.sql("UPDATE mcp_servers SET health_status = :status, last_health_check = :at WHERE name = :name")
        .bind("status", status).bind("at", at).bind("name", name)
        .fetch().rowsUpdated().then();
  }

  Mono<Boolean> delete(String name) {
    return db.sql("DELETE FROM mcp_servers WHERE name = :name").bind("name", name).fetch().rowsUpdated().map(n -> n > 0);
  }

  private GenericExecuteSpec bind(GenericExecuteSpec spec, McpServerInput in) {
    spec = spec.bind("name", in.name()).bind("endpoint", in.endpoint()).bind("enabled", in.enabled());
    spec = in.description() == null ? spec.bindNull("description", String.class) : spec.bind("description", in.description());
    spec = in.healthCheckUrl() == null ? spec.bindNull("healthCheckUrl", String.class) : spec.bind("healthCheckUrl", in.healthCheckUrl());
    return in.config() == null ? spec.bindNull("config", Json.class) : spec.bind("config", Json.of(json.writeValueAsString(in.config())));
  }

  private ObjectNode row(Readable r) {
    ObjectNode o = json.createObjectNode();
    o.put("id", r.get("id", UUID.class).toString());
    o.put("name", r.get("name", String.class));
    o.put("description", r.get("description", String.class));
    o.put("endpoint", r.get("endpoint", String.class));
    o.put("enabled", r.get("enabled", Boolean.class));
    Json config = r.get("config", Json.class);
    o.set("config", config == null ? json.nullNode() : json.readTree(config.asString()));
    o.put("health_check_url", r.get("health_check_url", String.class));
    o.put("health_status", r.get("health_status", String.class));
    o.put("last_health_check", text(r.get("last_health_check", OffsetDateTime.class)));
    o.put("created_at", text(r.get("created_at", OffsetDateTime.class)));
    o.put("updated_at", text(r.get("updated_at", OffsetDateTime.class)));
    return o;
  }

  private static String text(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }

  /** A validated server definition. */
  record McpServerInput(String name, String description, String endpoint, boolean enabled, JsonNode config,
      String healthCheckUrl) {}
}

package dev.orca.gateway.registry;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code tools} table (V6), the catalogue of registered servers' tools, and the only place that
 * knows its SQL. Rows follow the upstreams' listings ({@link #sync}); capabilities come from a tool's
 * {@code _meta["dev.orca/capabilities"]} (dotted names) and are kept when a later listing names none.
 * {@code qualified_name} is always {@code server.tool} (the table's convention), whatever the gateway's
 * separator.
 */
@Repository
class ToolCatalogue {
  static final String CAPABILITIES_META = "dev.orca/capabilities";

  private final DatabaseClient db;
  private final JsonMapper json;

  ToolCatalogue(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** Makes {@code server}'s rows exactly {@code tools} (its own names, unqualified). */
  Mono<Void> sync(String server, List<JsonNode> tools) {
    String[] names = tools.stream().map(t -> t.path("name").asString("")).toArray(String[]::new);
    Mono<Void> upserts = Flux.fromIterable(tools).concatMap(tool -> upsert(server, tool)).then();
    Mono<Void> removals = db.sql("DELETE FROM tools t USING mcp_servers s WHERE t.server_id = s.id AND s.name = :server "
            + "AND NOT (t.name = ANY(:names))")
        .bind("server", server).bind("names", names)
        .fetch().rowsUpdated().then();
    return upserts.then(removals);
  }

  private Mono<Void> upsert(String server, JsonNode tool) {
    String name = tool.path("name").asString("");
    GenericExecuteSpec spec = db.sql("INSERT INTO tools (server_id, name, qualified_name, description, input_schema, "
            + "output_schema, annotations, capabilities) "
            + "SELECT s.id, :name, s.name || '.' || :name, :description, :input, :output, :annotations, :capabilities "
            + "FROM mcp_servers s WHERE s.name = :server "
            + "ON CONFLICT (server_id, name) DO UPDATE SET description = EXCLUDED.description, "
            + "input_schema = EXCLUDED.input_schema, output_schema = EXCLUDED.output_schema, "
            + "annotations = EXCLUDED.annotations, capabilities = CASE WHEN cardinality(EXCLUDED.capabilities) > 0 "
            + "THEN EXCLUDED.capabilities ELSE tools.capabilities END "
            + "WHERE (tools.description, tools.input_schema, tools.output_schema, tools.annotations, tools.capabilities) "
            + "IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.input_schema, EXCLUDED.output_schema, "
            + "EXCLUDED.annotations, CASE WHEN cardinality(EXCLUDED.capabilities) > 0 THEN EXCLUDED.capabilities "
            + "ELSE tools.capabilities END)")
        .bind("server", server)
        .bind("name", name)
        .bind("input", jsonb(tool.get("inputSchema") == null || !tool.get("inputSchema").isObject()
            ? json.createObjectNode().put("type", "object") : tool.get("inputSchema")))
        .bind("capabilities", capabilities(tool));
    spec = tool.path("description").isString() ? spec.bind("description", tool.get("description").asString())
        : spec.bindNull("description", String.class);
    spec = tool.path("outputSchema").isObject() ? spec.bind("output", jsonb(tool.get("outputSchema")))
        : spec.bindNull("output", Json.class);
    spec = tool.path("annotations").isObject() ? spec.bind("annotations", jsonb(tool.get("annotations")))
        : spec.bindNull("annotations", Json.class);
    return spec.fetch().rowsUpdated().then();
  }

  private static String[] capabilities(JsonNode tool) {
    JsonNode caps = tool.path("_meta").path(CAPABILITIES_META);
    if (!caps.isArray()) {
      return new String[0];
    }
    return caps.valueStream().filter(JsonNode::isString).map(JsonNode::asString)
        .filter(c -> c.matches("[a-z0-9_-]+(\\.[a-z0-9_-]+)*")).distinct().toArray(String[]::new);
  }

  /** Catalogue rows, optionally of one server and/or with one capability, by qualified name. */
  Flux<ObjectNode> find(String server, String capability) {
    GenericExecuteSpec spec = db.sql("SELECT s.name AS server, t.name, t.description, t.input_schema, t.output_schema, "
        + "t.annotations, t.capabilities, t.usage_count, t.last_used_at FROM tools t JOIN mcp_servers s ON s.id = t.server_id "
        + "WHERE (CAST(:server AS TEXT) IS NULL OR s.name = :server) "
        + "AND (CAST(:capability AS TEXT) IS NULL OR t.capabilities @> ARRAY[CAST(:capability AS TEXT)]) "
        + "AND s.enabled ORDER BY t.qualified_name");
    spec = server == null ? spec.bindNull("server", String.class) : spec.bind("server", server);
    spec = capability == null ? spec.bindNull("capability", String.class) : spec.bind("capability", capability);
    return spec.map(this::row).all();
  }

  private ObjectNode row(Readable r) {
    ObjectNode o = json.createObjectNode();
    o.put("server", r.get("server", String.class));
    o.put("name", r.get("name", String.class));
    o.put("description", r.get("description", String.class));
    o.set("inputSchema", tree(r.get("input_schema", Json.class)));
    o.set("outputSchema", tree(r.get("output_schema", Json.class)));
    o.set("annotations", tree(r.get("annotations", Json.class)));
    var caps = o.putArray("capabilities");
    String[] values = r.get("capabilities", String[].class);
    if (values != null) {
      for (String c : values) {
        caps.add(c);
      }
    }
    Long usage = r.get("usage_count", Long.class);
    o.put("usage_count", usage == null ? 0 : usage);
    OffsetDateTime last = r.get("last_used_at", OffsetDateTime.class);
    o.put("last_used_at", last == null ? null : last.toInstant().toString());
    return o;
  }

  private JsonNode tree(Json value) {
    return value == null ? json.nullNode() : json.readTree(value.asString());
  }

  private Json jsonb(JsonNode node) {
    return Json.of(json.writeValueAsString(node));
  }
}

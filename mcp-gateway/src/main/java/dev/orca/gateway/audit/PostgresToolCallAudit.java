package dev.orca.gateway.audit;

import dev.orca.gateway.relay.CallRecord;
import io.r2dbc.postgresql.codec.Json;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Writes one finished external call as an {@code mcp_tool_calls} row ({@code source='external'}). */
@Repository
class PostgresToolCallAudit {
  private final DatabaseClient db;
  private final JsonMapper json;

  PostgresToolCallAudit(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  Mono<Void> insert(CallRecord call) {
    GenericExecuteSpec spec = db.sql("""
            INSERT INTO mcp_tool_calls
              (server_name, tool_name, params, result, error, duration_ms, started_at, completed_at,
               status, outcome, source)
            VALUES (:server, :tool, :params, :result, :error, :durationMs, :startedAt, :completedAt,
               :status, :outcome, 'external')
            """)
        .bind("server", truncate(call.server(), 255))
        .bind("tool", truncate(call.tool(), 255))
        .bind("durationMs", (int) Math.max(0, Math.min(Integer.MAX_VALUE, call.durationMs())))
        .bind("startedAt", call.startedAt())
        .bind("completedAt", call.completedAt())
        .bind("status", call.outcome().status())
        .bind("outcome", call.outcome().outcome());
    spec = bindJson(spec, "params", call.arguments());
    spec = bindJson(spec, "result", call.result());
    spec = call.error() == null ? spec.bindNull("error", String.class) : spec.bind("error", call.error());
    return spec.then();
  }

  private GenericExecuteSpec bindJson(GenericExecuteSpec spec, String name, JsonNode value) {
    return value == null || value.isMissingNode()
        ? spec.bindNull(name, Json.class)
        : spec.bind(name, Json.of(json.writeValueAsString(value)));
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}

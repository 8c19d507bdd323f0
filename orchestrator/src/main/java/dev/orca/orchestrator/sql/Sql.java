package dev.orca.orchestrator.sql;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Binding nullable values and JSONB, and reading JSONB back, for every repository class of the orchestrator. */
public final class Sql {
  private Sql() {}

  public static GenericExecuteSpec bind(GenericExecuteSpec spec, String name, Object value, Class<?> type) {
    return value == null ? spec.bindNull(name, type) : spec.bind(name, value);
  }

  /** A Jackson tree as JSONB; null (or a missing node) as SQL NULL. */
  public static GenericExecuteSpec bindJson(GenericExecuteSpec spec, String name, JsonNode value, JsonMapper json) {
    return value == null || value.isMissingNode()
        ? spec.bindNull(name, Json.class)
        : spec.bind(name, jsonb(value, json));
  }

  public static Json jsonb(JsonNode value, JsonMapper json) {
    return Json.of(json.writeValueAsBytes(value));
  }

  /** A JSONB column as a Jackson tree; null for SQL NULL. */
  public static JsonNode readJson(Readable row, String column, JsonMapper json) {
    Json value = row.get(column, Json.class);
    return value == null ? null : json.readTree(value.asArray());
  }

  /** A unique violation (SQLState 23505) anywhere in the cause chain (Spring wraps the driver's exception). */
  public static boolean isUniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof R2dbcException r && "23505".equals(r.getSqlState())) {
        return true;
      }
    }
    return false;
  }
}

package dev.orca.orchestrator.execution;

import io.r2dbc.postgresql.codec.Json;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Binding helpers for nullable values and JSONB, shared by the execution SQL. */
final class Sql {
  private Sql() {}

  static GenericExecuteSpec bind(GenericExecuteSpec spec, String name, Object value, Class<?> type) {
    return value == null ? spec.bindNull(name, type) : spec.bind(name, value);
  }

  static GenericExecuteSpec bindJson(GenericExecuteSpec spec, String name, JsonNode value, JsonMapper json) {
    return value == null ? spec.bindNull(name, Json.class) : spec.bind(name, Json.of(json.writeValueAsString(value)));
  }

  static JsonNode readJson(Object column, JsonMapper json) {
    if (column == null) {
      return null;
    }
    String text = column instanceof Json j ? j.asString() : column.toString();
    return json.readTree(text);
  }
}

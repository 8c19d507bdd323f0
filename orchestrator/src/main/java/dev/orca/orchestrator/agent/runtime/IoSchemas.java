package dev.orca.orchestrator.agent.runtime;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;

/** Checks a run's input and output against the agent's {@code io_schema} (JSON Schema 2020-12 by default). */
public final class IoSchemas {
  private static final int CACHED = 512;
  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
  private final Map<String, Schema> compiled = new ConcurrentHashMap<>();

  /** Every error of {@code value} against {@code schema}; empty when it conforms or there is no schema. */
  List<String> errors(JsonNode schema, JsonNode value) {
    if (schema == null || schema.isMissingNode() || schema.isNull()) {
      return List.of();
    }
    if (compiled.size() > CACHED) {
      compiled.clear(); // agents are few; a bound keeps edits from growing it forever
    }
    Schema s = compiled.computeIfAbsent(schema.toString(), k -> {
      Schema fresh = REGISTRY.getSchema(schema);
      fresh.initializeValidators();
      return fresh;
    });
    return s.validate(value).stream().map(Error::getMessage).toList();
  }

  /** Whether an answer should be JSON: the output schema asks for anything but a plain string. */
  public static boolean wantsJson(JsonNode outputSchema) {
    if (outputSchema == null || !outputSchema.isObject()) {
      return false;
    }
    JsonNode type = outputSchema.get("type");
    return type == null ? outputSchema.has("properties") || outputSchema.has("items") : !"string".equals(type.asString(""));
  }
}

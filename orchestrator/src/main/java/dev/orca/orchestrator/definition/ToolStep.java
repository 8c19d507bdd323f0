package dev.orca.orchestrator.definition;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Calls MCP tool {@code tool} of upstream {@code server} through the gateway (written
 * {@code "tool": "server.tool"}), with {@code params} after {@code ${...}} interpolation.
 *
 * @param params an object (possibly empty), never null
 */
public record ToolStep(String name, String server, String tool, JsonNode params, String assign, String when,
    Long timeoutMs, RetryPolicy retry) implements StepDefinition {

  public ToolStep {
    if (params == null || params.isNull() || params.isMissingNode()) {
      params = JsonNodeFactory.instance.objectNode();
    }
  }

  /** {@code server.tool}, as the gateway lists it. */
  public String qualifiedTool() {
    return server + "." + tool;
  }

  @Override
  public String kind() {
    return "tool";
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("name", name);
    json.put("tool", qualifiedTool());
    json.set("params", params.deepCopy());
    StepDefinition.writeCommon(this, json);
    return json;
  }
}

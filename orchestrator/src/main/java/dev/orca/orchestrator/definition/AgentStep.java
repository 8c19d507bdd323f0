package dev.orca.orchestrator.definition;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs the agent with slug {@code agent}, giving it {@code input} after {@code ${...}} interpolation.
 *
 * @param input any JSON value; an empty object when the definition gives none
 */
public record AgentStep(String name, String agent, JsonNode input, String assign, String when, Long timeoutMs,
    RetryPolicy retry) implements StepDefinition {

  public AgentStep {
    if (input == null || input.isMissingNode()) {
      input = JsonNodeFactory.instance.objectNode();
    }
  }

  @Override
  public String kind() {
    return "agent";
  }

  @Override
  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("name", name);
    json.put("agent", agent);
    json.set("input", input.deepCopy());
    StepDefinition.writeCommon(this, json);
    return json;
  }
}

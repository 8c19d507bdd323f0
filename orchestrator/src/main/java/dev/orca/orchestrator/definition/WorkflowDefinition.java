package dev.orca.orchestrator.definition;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A parsed workflow definition (DESIGN §3): steps in order and the workflow's error handling.
 * Validate with {@link DefinitionValidator} first; {@link #parse} assumes a valid document.
 */
public record WorkflowDefinition(List<StepDefinition> steps, ErrorHandling errorHandling) {
  /** Context roots every step sees; no {@code assign} may take these names. */
  public static final Set<String> RESERVED_ROOTS = Set.of("input", "event", "repo", "execution");

  public WorkflowDefinition {
    steps = List.copyOf(steps);
    errorHandling = errorHandling == null ? ErrorHandling.DEFAULT : errorHandling;
  }

  /**
   * Builds the model from a definition that {@link DefinitionValidator} accepted.
   *
   * @throws IllegalArgumentException if the document is not a valid definition
   */
  public static WorkflowDefinition parse(JsonNode json) {
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("a workflow definition is a JSON object");
    }
    JsonNode stepsJson = json.get("steps");
    if (stepsJson == null || !stepsJson.isArray() || stepsJson.isEmpty()) {
      throw new IllegalArgumentException("a workflow definition needs a non-empty 'steps' array");
    }
    ErrorHandling errorHandling = ErrorHandling.fromJson(json.get("errorHandling"));
    List<StepDefinition> steps = new ArrayList<>();
    for (int i = 0; i < stepsJson.size(); i++) {
      try {
        steps.add(parseStep(stepsJson.get(i), errorHandling));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("step " + i + ": " + e.getMessage(), e);
      }
    }
    return new WorkflowDefinition(steps, errorHandling);
  }

  private static StepDefinition parseStep(JsonNode s, ErrorHandling errorHandling) {
    if (!s.isObject()) {
      throw new IllegalArgumentException("a step is a JSON object");
    }
    String name = text(s, "name");
    if (name == null) {
      throw new IllegalArgumentException("a step needs a 'name'");
    }
    String assign = text(s, "assign");
    String when = text(s, "when");
    Long timeoutMs = s.hasNonNull("timeoutMs") ? s.get("timeoutMs").asLong() : null;
    RetryPolicy retry = s.hasNonNull("retry") ? RetryPolicy.overlay(s.get("retry"), errorHandling.defaultRetry()) : null;
    String tool = text(s, "tool");
    String agent = text(s, "agent");
    if ((tool == null) == (agent == null)) {
      throw new IllegalArgumentException("a step calls exactly one of 'tool' or 'agent'");
    }
    if (tool != null) {
      int dot = tool.indexOf('.');
      if (dot <= 0 || dot == tool.length() - 1) {
        throw new IllegalArgumentException("'tool' is written server.tool: " + tool);
      }
      return new ToolStep(name, tool.substring(0, dot), tool.substring(dot + 1), s.get("params"), assign, when,
          timeoutMs, retry);
    }
    return new AgentStep(name, agent, s.get("input"), assign, when, timeoutMs, retry);
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isString()) {
      throw new IllegalArgumentException("'" + field + "' must be a string");
    }
    return v.asString();
  }

  /** The canonical JSON of this definition; {@link #parse} of it gives an equal definition. */
  public JsonNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    ArrayNode array = json.putArray("steps");
    steps.forEach(s -> array.add(s.toJson()));
    json.set("errorHandling", errorHandling.toJson());
    return json;
  }

  /** The step named {@code name}, or null. */
  public StepDefinition step(String name) {
    return steps.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * The context roots step {@code index} may reference: {@link #RESERVED_ROOTS} and the {@code assign}
   * of every earlier step (in that order). Compile its {@code when} with these.
   */
  public Set<String> knownRootsAt(int index) {
    Set<String> roots = new LinkedHashSet<>(List.of("input", "event", "repo", "execution"));
    for (int i = 0; i < index && i < steps.size(); i++) {
      if (steps.get(i).assign() != null) {
        roots.add(steps.get(i).assign());
      }
    }
    return roots;
  }
}

package dev.orca.orchestrator.workflow;

import dev.orca.orchestrator.definition.DefinitionProblem;
import dev.orca.orchestrator.definition.DefinitionValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Reads POST and PUT bodies and checks them together with their definition, so one 400 lists every
 * problem (pointers into the request body).
 */
final class WorkflowRequests {
  static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,127}$");
  private static final Set<String> CREATE_FIELDS = Set.of("name", "description", "definition");
  private static final Set<String> UPDATE_FIELDS = Set.of("name", "description", "definition", "enabled");

  record Create(String name, String description, JsonNode definition) {}

  record Update(JsonNode definition, boolean keepDescription, String description, Boolean enabled) {}

  private final DefinitionValidator validator;

  WorkflowRequests(DefinitionValidator validator) {
    this.validator = validator;
  }

  static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  Create create(JsonNode body) {
    List<DefinitionProblem> problems = new ArrayList<>();
    requireObject(body);
    unknownFields(body, CREATE_FIELDS, problems);
    JsonNode name = body.get("name");
    if (name == null || name.isNull()) {
      problems.add(new DefinitionProblem("/name", "'name' is required"));
    } else if (!name.isString() || !isValidName(name.asString())) {
      problems.add(new DefinitionProblem("/name", nameRule(name)));
    }
    String description = description(body, problems);
    JsonNode definition = definition(body, problems);
    if (!problems.isEmpty()) {
      throw new InvalidWorkflowException(problems);
    }
    return new Create(name.asString(), description, definition);
  }

  Update update(String pathName, JsonNode body) {
    List<DefinitionProblem> problems = new ArrayList<>();
    requireObject(body);
    unknownFields(body, UPDATE_FIELDS, problems);
    JsonNode name = body.get("name");
    if (name != null && !(name.isString() && name.asString().equals(pathName))) {
      problems.add(new DefinitionProblem("/name",
          "a workflow cannot be renamed: 'name' may be left out, or be '" + pathName + "' as in the path"));
    }
    String description = description(body, problems);
    JsonNode enabled = body.get("enabled");
    if (enabled != null && !enabled.isNull() && !enabled.isBoolean()) {
      problems.add(new DefinitionProblem("/enabled", "'enabled' is true or false"));
    }
    JsonNode definition = definition(body, problems);
    if (!problems.isEmpty()) {
      throw new InvalidWorkflowException(problems);
    }
    return new Update(definition, !body.has("description"), description,
        enabled == null || enabled.isNull() ? null : enabled.booleanValue());
  }

  private static void requireObject(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new InvalidWorkflowException(List.of(new DefinitionProblem("",
          "the request body is a JSON object: {\"name\": ..., \"description\": ..., \"definition\": {...}}")));
    }
  }

  private static void unknownFields(JsonNode body, Set<String> allowed, List<DefinitionProblem> problems) {
    for (String field : body.propertyNames()) {
      if (!allowed.contains(field)) {
        problems.add(new DefinitionProblem("/" + field.replace("~", "~0").replace("/", "~1"),
            "unknown property '" + field + "'; allowed: " + String.join(", ", allowed.stream().sorted().toList())));
      }
    }
  }

  private static String description(JsonNode body, List<DefinitionProblem> problems) {
    JsonNode description = body.get("description");
    if (description == null || description.isNull()) {
      return null;
    }
    if (!description.isString()) {
      problems.add(new DefinitionProblem("/description", "'description' is a string"));
      return null;
    }
    return description.asString();
  }

  private JsonNode definition(JsonNode body, List<DefinitionProblem> problems) {
    JsonNode definition = body.get("definition");
    if (definition == null || definition.isNull()) {
      problems.add(new DefinitionProblem("/definition", "'definition' is required"));
      return null;
    }
    for (DefinitionProblem p : validator.validate(definition)) {
      problems.add(new DefinitionProblem("/definition" + p.pointer(), p.message()));
    }
    return definition;
  }

  private static String nameRule(JsonNode name) {
    return "a workflow name is 1-128 lowercase letters, digits, '_' or '-', starting with a letter or digit; got "
        + name;
  }
}

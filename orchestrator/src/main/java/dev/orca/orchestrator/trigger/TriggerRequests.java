package dev.orca.orchestrator.trigger;

import dev.orca.orchestrator.definition.ConditionException;
import dev.orca.orchestrator.definition.Conditions;
import dev.orca.orchestrator.definition.DefinitionProblem;
import dev.orca.orchestrator.definition.Interpolator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Reads subscription and repository bodies, listing every problem with a pointer into the body. */
final class TriggerRequests {
  static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,127}$");
  static final Pattern OWNER = Pattern.compile("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$");
  static final Pattern REPO_NAME = Pattern.compile("^[A-Za-z0-9._-]{1,100}$");
  static final Pattern AUTO_KEY = Pattern.compile("^[a-z0-9_]{1,100}$");
  static final Set<String> SOURCES = Set.of("github", "linear", "slack");
  private static final Set<String> SUBSCRIPTION_FIELDS =
      Set.of("name", "source", "eventTypePattern", "filterExpression", "workflow", "inputMapping", "enabled");
  private static final Set<String> REPOSITORY_FIELDS = Set.of("owner", "name", "defaultBranch", "enabled", "config");

  private TriggerRequests() {}

  /** A valid subscription body; {@code pathName} is the name in a PUT's path (null for POST). */
  static PostgresSubscriptionStore.Fields subscription(JsonNode body, String pathName) {
    List<DefinitionProblem> problems = new ArrayList<>();
    requireObject(body, "subscription", "{\"name\": ..., \"source\": \"github\", \"eventTypePattern\": \"com.github.issues.*\", \"workflow\": ...}");
    unknownFields(body, SUBSCRIPTION_FIELDS, problems);
    String name = pathName != null ? identity(body, "name", pathName, problems)
        : text(body, "name", true, problems, NAME, "1-128 lowercase letters, digits, '_' or '-', starting with a letter or digit");
    String source = text(body, "source", true, problems, null, null);
    if (source != null && !SOURCES.contains(source)) {
      problems.add(new DefinitionProblem("/source", "'source' is one of github, linear, slack; got '" + source + "'"));
      source = null;
    }
    String pattern = text(body, "eventTypePattern", true, problems, EventTypePattern.SYNTAX,
        "an event type where * matches any characters, e.g. com.github.issues.* (letters, digits, . _ - *)");
    if (pattern != null && source != null && !canMatch(pattern, "com." + source + ".")) {
      problems.add(new DefinitionProblem("/eventTypePattern", "'" + pattern + "' never matches a " + source
          + " event: their types start with com." + source + "."));
    }
    String filter = text(body, "filterExpression", false, problems, null, null);
    if (filter != null) {
      try {
        Conditions.compile(filter, Router.ROOTS);
      } catch (ConditionException e) {
        problems.add(new DefinitionProblem("/filterExpression", "'filterExpression' " + e.getMessage()));
      }
    }
    String workflow = text(body, "workflow", true, problems, NAME, "the name of an existing workflow");
    JsonNode mapping = body.get("inputMapping");
    if (mapping == null || mapping.isNull()) {
      mapping = JsonNodeFactory.instance.objectNode();
    } else if (!mapping.isObject()) {
      problems.add(new DefinitionProblem("/inputMapping", "'inputMapping' is a JSON object of values with ${...} over "
          + new TreeSet<>(Router.ROOTS)));
    } else {
      references(mapping, "/inputMapping", problems);
    }
    boolean enabled = enabled(body, problems);
    if (!problems.isEmpty()) {
      throw new InvalidRequestException("subscription", problems);
    }
    return new PostgresSubscriptionStore.Fields(name, source, pattern, filter, workflow, mapping, enabled);
  }

  /** The fields of a valid repository body; owner and name come from the path for a PUT. */
  record RepositoryFields(String owner, String name, String defaultBranch, boolean enabled, JsonNode config) {}

  static RepositoryFields repository(JsonNode body, String pathOwner, String pathName) {
    List<DefinitionProblem> problems = new ArrayList<>();
    requireObject(body, "repository", "{\"owner\": ..., \"name\": ..., \"defaultBranch\": \"main\", \"config\": {\"auto_workflows\": {...}}}");
    unknownFields(body, REPOSITORY_FIELDS, problems);
    String owner = pathOwner != null ? identity(body, "owner", pathOwner, problems)
        : text(body, "owner", true, problems, OWNER, "a GitHub user or organization: letters, digits and '-', at most 39");
    String name = pathName != null ? identity(body, "name", pathName, problems)
        : text(body, "name", true, problems, REPO_NAME, "a GitHub repository name: letters, digits, '.', '_' or '-', at most 100");
    String branch = text(body, "defaultBranch", false, problems, Pattern.compile("^[^\\s~^:?*\\[\\\\]{1,255}$"),
        "a branch name (no blanks, ~ ^ : ? * [ or \\)");
    JsonNode config = body.get("config");
    if (config != null && !config.isNull()) {
      if (!config.isObject()) {
        problems.add(new DefinitionProblem("/config", "'config' is a JSON object"));
      } else {
        autoWorkflows(config.get("auto_workflows"), problems);
      }
    } else {
      config = null;
    }
    boolean enabled = enabled(body, problems);
    if (!problems.isEmpty()) {
      throw new InvalidRequestException("repository", problems);
    }
    return new RepositoryFields(owner, name, branch == null ? "main" : branch, enabled, config);
  }

  private static void autoWorkflows(JsonNode auto, List<DefinitionProblem> problems) {
    if (auto == null || auto.isNull()) {
      return;
    }
    if (!auto.isObject()) {
      problems.add(new DefinitionProblem("/config/auto_workflows",
          "'auto_workflows' maps GitHub event names to workflow names, e.g. {\"issue_opened\": \"issue_to_pr\"}"));
      return;
    }
    for (Map.Entry<String, JsonNode> e : auto.properties()) {
      String pointer = "/config/auto_workflows/" + Interpolator.escapePointer(e.getKey());
      if (!AUTO_KEY.matcher(e.getKey()).matches()) {
        problems.add(new DefinitionProblem(pointer, "'" + e.getKey()
            + "' is not an event name: lowercase letters, digits and '_', e.g. issue_opened or pull_request_closed"));
      }
      if (!e.getValue().isString() || !NAME.matcher(e.getValue().asString()).matches()) {
        problems.add(new DefinitionProblem(pointer, "the value is a workflow name; got " + e.getValue()));
      }
    }
  }

  /** Every {@code ${...}} of the mapping is well formed and its root one of {@link Router#ROOTS}. */
  private static void references(JsonNode mapping, String pointer, List<DefinitionProblem> problems) {
    for (Map.Entry<String, JsonNode> e : mapping.properties()) {
      String at = pointer + "/" + Interpolator.escapePointer(e.getKey());
      try {
        for (String root : Interpolator.roots(e.getValue())) {
          if (!Router.ROOTS.contains(root)) {
            problems.add(new DefinitionProblem(at, "unknown root '" + root + "'; an input mapping sees "
                + String.join(", ", new TreeSet<>(Router.ROOTS))));
          }
        }
      } catch (IllegalArgumentException ex) {
        problems.add(new DefinitionProblem(at, ex.getMessage()));
      }
    }
  }

  /** Whether some type starting with {@code prefix} can match the pattern. */
  static boolean canMatch(String pattern, String prefix) {
    int star = pattern.indexOf('*');
    String literal = star < 0 ? pattern : pattern.substring(0, star);
    return literal.startsWith(prefix) || (star >= 0 && prefix.startsWith(literal));
  }

  private static void requireObject(JsonNode body, String what, String example) {
    if (body == null || !body.isObject()) {
      throw InvalidRequestException.one(what, "", "the request body is a JSON object: " + example);
    }
  }

  private static void unknownFields(JsonNode body, Set<String> allowed, List<DefinitionProblem> problems) {
    for (String field : body.propertyNames()) {
      if (!allowed.contains(field)) {
        problems.add(new DefinitionProblem("/" + Interpolator.escapePointer(field),
            "unknown property '" + field + "'; allowed: " + String.join(", ", new TreeSet<>(allowed))));
      }
    }
  }

  /** A field that names the resource: may be left out of a PUT, or be what the path says. */
  private static String identity(JsonNode body, String field, String pathValue, List<DefinitionProblem> problems) {
    JsonNode value = body.get(field);
    if (value != null && !(value.isString() && value.asString().equals(pathValue))) {
      problems.add(new DefinitionProblem("/" + field, "'" + field + "' cannot be changed: leave it out, or give '"
          + pathValue + "' as in the path"));
    }
    return pathValue;
  }

  private static String text(JsonNode body, String field, boolean required, List<DefinitionProblem> problems,
      Pattern pattern, String rule) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      if (required) {
        problems.add(new DefinitionProblem("/" + field, "'" + field + "' is required"));
      }
      return null;
    }
    if (!value.isString() || value.asString().isBlank()) {
      problems.add(new DefinitionProblem("/" + field, "'" + field + "' is a non-empty string"));
      return null;
    }
    if (pattern != null && !pattern.matcher(value.asString()).matches()) {
      problems.add(new DefinitionProblem("/" + field, "'" + field + "' is " + rule + "; got '" + value.asString() + "'"));
      return null;
    }
    return value.asString();
  }

  private static boolean enabled(JsonNode body, List<DefinitionProblem> problems) {
    JsonNode enabled = body.get("enabled");
    if (enabled == null || enabled.isNull()) {
      return true;
    }
    if (!enabled.isBoolean()) {
      problems.add(new DefinitionProblem("/enabled", "'enabled' is true or false"));
      return true;
    }
    return enabled.booleanValue();
  }
}

package dev.orca.orchestrator.definition;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Checks a definition when it is saved and lists every problem, in document order.
 *
 * <ol>
 *   <li>Shape: {@code schemas/workflow-definition.schema.json} (draft 2020-12), with friendlier
 *       messages for the usual mistakes (unknown property, missing tool/agent, bad names).
 *   <li>Semantics, on whatever parts have the right shape: unique step names; every {@code ${...}}
 *       well-formed and its root known at that step (reserved roots and earlier {@code assign}s);
 *       no {@code assign} that shadows a reserved root or rebinds an earlier one; {@code when}
 *       compiles as a boolean CEL expression over the known roots; retry delays consistent
 *       ({@code maxDelayMs >= initialDelayMs}, strategy {@code none} without retries).
 * </ol>
 *
 * Thread-safe; build one and share it.
 */
public final class DefinitionValidator {
  static final String SCHEMA_RESOURCE = "/schemas/workflow-definition.schema.json";
  private static final List<String> STEP_PROPERTIES =
      List.of("name", "tool", "agent", "params", "input", "assign", "when", "timeoutMs", "retry");
  private static final List<String> RETRY_PROPERTIES =
      List.of("strategy", "maxRetries", "initialDelayMs", "maxDelayMs", "multiplier");
  private static final List<String> ERROR_HANDLING_PROPERTIES =
      List.of("retryStrategy", "maxRetries", "initialDelayMs", "maxDelayMs", "multiplier");
  private static final Map<String, String> PATTERN_MESSAGES = Map.of(
      "name", "a step name is 1-128 letters, digits, '_' or '-', not starting with a digit or '-'",
      "tool", "'tool' is written server.tool (e.g. github.getIssue); the server name has no dots",
      "agent", "'agent' is an agent slug: lowercase letters, digits, '_' or '-'",
      "assign", "'assign' is an identifier: letters, digits and '_', not starting with a digit, at most 64");

  private final Schema schema;

  public DefinitionValidator() {
    try (InputStream in = DefinitionValidator.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing classpath resource " + SCHEMA_RESOURCE);
      }
      this.schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(in);
      this.schema.initializeValidators();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every problem in {@code definition}; empty when it is valid. */
  public List<DefinitionProblem> validate(JsonNode definition) {
    List<DefinitionProblem> problems = new ArrayList<>();
    if (definition == null || definition.isMissingNode() || !definition.isObject()) {
      problems.add(new DefinitionProblem("", "a workflow definition is a JSON object with a 'steps' array"));
      return problems;
    }
    shape(definition, problems);
    semantics(definition, problems);
    problems.sort(Comparator.comparing(DefinitionProblem::pointer, DefinitionValidator::comparePointers));
    return List.copyOf(new LinkedHashSet<>(problems));
  }

  // ---------------------------------------------------------------------------------------------
  // Shape (JSON Schema)

  private void shape(JsonNode definition, List<DefinitionProblem> problems) {
    for (Error error : schema.validate(definition)) {
      String evaluation = error.getEvaluationPath() == null ? "" : error.getEvaluationPath().toString();
      if (evaluation.contains("oneOf") && !"oneOf".equals(error.getKeyword())) {
        continue; // the branches' own errors; the oneOf error says it better
      }
      String pointer = pointer(error.getInstanceLocation());
      String keyword = String.valueOf(error.getKeyword());
      if ((keyword.equals("oneOf") || keyword.equals("dependentRequired")) && !definition.at(pointer).isObject()) {
        continue; // "object expected" already says it
      }
      problems.add(describe(error, pointer, definition));
    }
  }

  private static DefinitionProblem describe(Error error, String pointer, JsonNode definition) {
    String keyword = error.getKeyword() == null ? "" : error.getKeyword();
    String last = lastSegment(pointer);
    switch (keyword) {
      case "required" -> {
        String property = error.getProperty();
        return new DefinitionProblem(pointer + "/" + property, "'" + property + "' is required");
      }
      case "additionalProperties" -> {
        String property = error.getProperty();
        List<String> known = knownProperties(pointer);
        String suggestion = closest(property, known);
        return new DefinitionProblem(pointer + "/" + Interpolator.escapePointer(property),
            "unknown property '" + property + "'"
                + (suggestion != null ? " (did you mean '" + suggestion + "'?)" : "")
                + (known.isEmpty() ? "" : "; allowed here: " + String.join(", ", known)));
      }
      case "oneOf" -> {
        JsonNode step = at(definition, pointer);
        boolean both = step != null && step.has("tool") && step.has("agent");
        return new DefinitionProblem(pointer, both
            ? "a step has both 'tool' and 'agent'; it calls exactly one of them"
            : "a step needs exactly one of 'tool' (server.tool) or 'agent' (an agent slug)");
      }
      case "dependentRequired" -> {
        String property = error.getProperty();
        String message = "params".equals(property) || (error.getMessage() != null && error.getMessage().contains("params"))
            ? "'params' belongs to tool steps; an agent step takes 'input'"
            : "'input' belongs to agent steps; a tool step takes 'params'";
        return new DefinitionProblem(pointer, message);
      }
      case "minItems" -> {
        if ("/steps".equals(pointer)) {
          return new DefinitionProblem(pointer, "a workflow needs at least one step");
        }
      }
      case "pattern" -> {
        String friendly = PATTERN_MESSAGES.get(last);
        if (friendly != null) {
          return new DefinitionProblem(pointer, friendly + "; got '" + textAt(definition, pointer) + "'");
        }
      }
      default -> { }
    }
    return new DefinitionProblem(pointer, cleanMessage(error.getMessage()));
  }

  /** networknt prefixes messages with the instance location ({@code /steps/0: ...} or {@code $.steps[0]: ...}). */
  private static String cleanMessage(String message) {
    if (message == null) {
      return "invalid";
    }
    int colon = message.indexOf(": ");
    if (colon > 0 && (message.startsWith("$") || message.startsWith("/") || message.startsWith(":"))
        && !message.substring(0, colon).contains(" ")) {
      return message.substring(colon + 2);
    }
    return message;
  }

  private static List<String> knownProperties(String pointer) {
    String[] parts = pointer.split("/", -1);
    if (pointer.isEmpty()) {
      return List.of("steps", "errorHandling");
    }
    if (parts.length == 3 && "steps".equals(parts[1])) {
      return STEP_PROPERTIES;
    }
    if (parts.length == 4 && "retry".equals(parts[3])) {
      return RETRY_PROPERTIES;
    }
    if (parts.length == 2 && "errorHandling".equals(parts[1])) {
      return ERROR_HANDLING_PROPERTIES;
    }
    return List.of();
  }

  /** A known name within edit distance 2 of {@code typo}, for "did you mean". */
  static String closest(String typo, List<String> known) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = distance(typo.toLowerCase(), k.toLowerCase());
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  static String pointer(NodePath path) {
    if (path == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object element = path.getElement(i);
      out.append('/').append(element instanceof Integer n ? n.toString() : Interpolator.escapePointer(String.valueOf(element)));
    }
    return out.toString();
  }

  private static String lastSegment(String pointer) {
    int slash = pointer.lastIndexOf('/');
    return slash < 0 ? pointer : pointer.substring(slash + 1);
  }

  private static JsonNode at(JsonNode root, String pointer) {
    JsonNode node = root.at(pointer);
    return node.isMissingNode() ? null : node;
  }

  private static String textAt(JsonNode root, String pointer) {
    JsonNode node = at(root, pointer);
    return node == null ? "" : node.isString() ? node.asString() : node.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Semantics

  private static void semantics(JsonNode definition, List<DefinitionProblem> problems) {
    JsonNode errorHandling = definition.get("errorHandling");
    if (errorHandling != null && errorHandling.isObject()) {
      retryConsistency(errorHandling, "/errorHandling", "retryStrategy", null, problems);
    }
    JsonNode steps = definition.get("steps");
    if (steps == null || !steps.isArray()) {
      return;
    }
    Set<String> known = new LinkedHashSet<>(List.of("input", "event", "repo", "execution"));
    Map<String, Integer> stepNames = new HashMap<>();
    Map<String, Integer> assignedBy = new HashMap<>();
    Map<String, Integer> laterAssigns = new HashMap<>();
    for (int i = 0; i < steps.size(); i++) {
      JsonNode a = steps.get(i).get("assign");
      if (a != null && a.isString()) {
        laterAssigns.putIfAbsent(a.asString(), i);
      }
    }
    for (int i = 0; i < steps.size(); i++) {
      JsonNode step = steps.get(i);
      String base = "/steps/" + i;
      if (!step.isObject()) {
        continue; // the schema reports it
      }
      JsonNode name = step.get("name");
      if (name != null && name.isString()) {
        Integer first = stepNames.putIfAbsent(name.asString(), i);
        if (first != null) {
          problems.add(new DefinitionProblem(base + "/name",
              "duplicate step name '" + name.asString() + "' (also step " + first + ")"));
        }
      }
      Set<String> visible = Collections.unmodifiableSet(new LinkedHashSet<>(known));
      for (String field : new String[] {"params", "input"}) {
        if (step.has(field)) {
          references(step.get(field), base + "/" + field, i, visible, laterAssigns, problems);
        }
      }
      JsonNode when = step.get("when");
      if (when != null && when.isString() && !when.asString().isBlank()) {
        try {
          Conditions.compile(when.asString(), visible);
        } catch (ConditionException e) {
          problems.add(new DefinitionProblem(base + "/when", "'when' " + e.getMessage()));
        }
      }
      JsonNode retry = step.get("retry");
      if (retry != null && retry.isObject()) {
        retryConsistency(retry, base + "/retry", "strategy", errorHandling, problems);
      }
      JsonNode assign = step.get("assign");
      if (assign != null && assign.isString()) {
        String a = assign.asString();
        if (WorkflowDefinition.RESERVED_ROOTS.contains(a)) {
          problems.add(new DefinitionProblem(base + "/assign",
              "assign '" + a + "' would shadow the reserved root '" + a + "' (reserved: input, event, repo, execution)"));
        } else if (assignedBy.containsKey(a)) {
          problems.add(new DefinitionProblem(base + "/assign",
              "assign '" + a + "' is already bound by step " + assignedBy.get(a) + "; use another name"));
        } else {
          assignedBy.put(a, i);
          known.add(a);
        }
      }
    }
  }

  private static void references(JsonNode template, String base, int stepIndex, Set<String> visible,
      Map<String, Integer> firstAssign, List<DefinitionProblem> problems) {
    List<Interpolator.Problem> syntax = new ArrayList<>();
    Interpolator.scan(template, base, (pointer, ref) -> {
      String root = ref.path().root();
      if (visible.contains(root)) {
        return;
      }
      Integer assignedAt = firstAssign.get(root);
      String why = assignedAt == null ? ""
          : assignedAt == stepIndex ? " ('" + root + "' is this step's own result)"
          : assignedAt > stepIndex ? " ('" + root + "' is assigned by a later step, " + assignedAt + ")"
          : "";
      problems.add(new DefinitionProblem(pointer, "unknown root '" + root + "' in ${" + ref.source() + "}" + why
          + "; known here: " + String.join(", ", visible)));
    }, syntax);
    syntax.forEach(p -> problems.add(new DefinitionProblem(p.pointer(), p.message())));
  }

  private static void retryConsistency(JsonNode retry, String base, String strategyField, JsonNode errorHandling,
      List<DefinitionProblem> problems) {
    JsonNode strategy = retry.get(strategyField);
    JsonNode maxRetries = retry.get("maxRetries");
    if (strategy != null && "none".equals(strategy.asString(""))
        && maxRetries != null && maxRetries.isIntegralNumber() && maxRetries.asLong() > 0) {
      problems.add(new DefinitionProblem(base + "/maxRetries",
          "maxRetries " + maxRetries.asLong() + " contradicts " + strategyField + " 'none'; drop one"));
    }
    JsonNode max = retry.get("maxDelayMs");
    if (max == null || !max.isIntegralNumber()) {
      return;
    }
    JsonNode initial = retry.get("initialDelayMs");
    long initialMs;
    if (initial != null && initial.isIntegralNumber()) {
      initialMs = initial.asLong();
    } else if (errorHandling != null && errorHandling.isObject() && errorHandling.path("initialDelayMs").isIntegralNumber()) {
      initialMs = errorHandling.get("initialDelayMs").asLong();
    } else {
      initialMs = ErrorHandling.DEFAULT.initialDelayMs();
    }
    if (max.asLong() < initialMs) {
      problems.add(new DefinitionProblem(base + "/maxDelayMs",
          "maxDelayMs " + max.asLong() + " is less than initialDelayMs " + initialMs));
    }
  }

  /** Orders problems as the document reads: the whole document, then step by step, then errorHandling; stable otherwise. */
  static int comparePointers(String a, String b) {
    return Long.compare(rank(a), rank(b));
  }

  private static long rank(String pointer) {
    if (pointer.startsWith("/steps/")) {
      int end = pointer.indexOf('/', 7);
      String index = end < 0 ? pointer.substring(7) : pointer.substring(7, end);
      return index.matches("\\d{1,9}") ? 1 + Long.parseLong(index) : 1;
    }
    return pointer.startsWith("/errorHandling") ? Long.MAX_VALUE : 0;
  }
}

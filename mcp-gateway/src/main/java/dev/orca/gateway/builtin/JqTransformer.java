package dev.orca.gateway.builtin;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import net.thisptr.jackson.jq.BuiltinFunctionLoader;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Versions;
import net.thisptr.jackson.jq.exception.JsonQueryException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * jq (1.6 dialect) through jackson-jq. jackson-jq works on Jackson 2 trees, so values cross as JSON
 * text. Filters run with the builtin function library only (no I/O), and stop after
 * {@code maxOutputs} values.
 */
final class JqTransformer {
  /** A filter that could not be compiled or failed while running; the message is jq's. */
  static final class JqFailure extends RuntimeException {
    JqFailure(String message) {
      super(message, null, false, false);
    }
  }

  private static final ObjectMapper jackson2 = new ObjectMapper();
  private final Scope root;
  private final JsonMapper json;
  private final int maxOutputs;

  JqTransformer(JsonMapper json, int maxOutputs) {
    this.json = json;
    this.maxOutputs = maxOutputs;
    this.root = Scope.newEmptyScope();
    BuiltinFunctionLoader.getInstance().loadFunctions(Versions.JQ_1_6, root);
  }

  /** Every value {@code filter} emits for {@code input}, in order. */
  List<JsonNode> apply(String filter, JsonNode input) {
    JsonQuery query;
    try {
      query = JsonQuery.compile(filter, Versions.JQ_1_6);
    } catch (JsonQueryException e) {
      throw new JqFailure("jq filter does not compile: " + e.getMessage());
    }
    try {
      com.fasterxml.jackson.databind.JsonNode in = jackson2.readTree(json.writeValueAsString(input));
      List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
      query.apply(Scope.newChildScope(root), in, value -> {
        if (out.size() >= maxOutputs) {
          throw new JsonQueryException("the filter emitted more than " + maxOutputs + " values");
        }
        out.add(value);
      });
      List<JsonNode> results = new ArrayList<>(out.size());
      for (com.fasterxml.jackson.databind.JsonNode value : out) {
        results.add(json.readTree(jackson2.writeValueAsString(value)));
      }
      return results;
    } catch (JsonQueryException e) {
      throw new JqFailure("jq filter failed: " + e.getMessage());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new JqFailure("jq value could not be converted: " + e.getOriginalMessage());
    }
  }
}

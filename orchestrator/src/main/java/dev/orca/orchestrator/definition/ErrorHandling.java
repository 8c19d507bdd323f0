package dev.orca.orchestrator.definition;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Workflow-level {@code errorHandling}: the retry policy of every step that has no {@code retry} of
 * its own (a step's {@code retry} overrides these field by field). A definition without it gets
 * {@link #DEFAULT}: exponential, 3 retries, 1 s initial delay, 60 s cap, multiplier 2.
 */
public record ErrorHandling(String retryStrategy, int maxRetries, long initialDelayMs, long maxDelayMs, double multiplier) {
  public static final ErrorHandling DEFAULT = new ErrorHandling(RetryPolicy.EXPONENTIAL, 3, 1_000, 60_000, 2.0);

  public ErrorHandling {
    defaultRetry(retryStrategy, maxRetries, initialDelayMs, maxDelayMs, multiplier); // same bounds as RetryPolicy
  }

  public RetryPolicy defaultRetry() {
    return defaultRetry(retryStrategy, maxRetries, initialDelayMs, maxDelayMs, multiplier);
  }

  private static RetryPolicy defaultRetry(String strategy, int maxRetries, long initial, long max, double multiplier) {
    return new RetryPolicy(strategy, maxRetries, initial, max, multiplier);
  }

  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("retryStrategy", retryStrategy);
    json.put("maxRetries", maxRetries);
    json.put("initialDelayMs", initialDelayMs);
    json.put("maxDelayMs", maxDelayMs);
    json.put("multiplier", multiplier);
    return json;
  }

  /** Reads {@code errorHandling}; missing fields come from {@link #DEFAULT} (see {@link RetryPolicy#overlay}). */
  static ErrorHandling fromJson(JsonNode json) {
    if (json == null || json.isMissingNode() || json.isNull()) {
      return DEFAULT;
    }
    ObjectNode asRetry = JsonNodeFactory.instance.objectNode();
    copy(json, "retryStrategy", asRetry, "strategy");
    for (String field : new String[] {"maxRetries", "initialDelayMs", "maxDelayMs", "multiplier"}) {
      copy(json, field, asRetry, field);
    }
    RetryPolicy p = RetryPolicy.overlay(asRetry, DEFAULT.defaultRetry());
    return new ErrorHandling(p.strategy(), p.maxRetries(), p.initialDelayMs(), p.maxDelayMs(), p.multiplier());
  }

  private static void copy(JsonNode from, String name, ObjectNode to, String as) {
    if (from.has(name)) {
      to.set(as, from.get(name));
    }
  }
}

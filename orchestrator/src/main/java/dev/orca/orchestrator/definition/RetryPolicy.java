package dev.orca.orchestrator.definition;

import java.time.Duration;
import java.util.Set;
import java.util.random.RandomGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a failed step is retried.
 *
 * <ul>
 *   <li>{@code exponential}: the n-th retry waits {@code initialDelayMs * multiplier^(n-1)}, capped at
 *       {@code maxDelayMs}, with <em>equal jitter</em>: a uniform draw in {@code [d/2, d]}, so retries of
 *       many executions spread out yet never come back at once.
 *   <li>{@code fixed}: every retry waits {@code initialDelayMs} (capped at {@code maxDelayMs}), no jitter.
 *   <li>{@code none}: never retried ({@code maxRetries} is 0).
 * </ul>
 *
 * @param maxRetries retries after the first attempt (0..20), so at most {@code maxRetries + 1} attempts
 */
public record RetryPolicy(
    String strategy, int maxRetries, long initialDelayMs, long maxDelayMs, double multiplier, Set<String> retryOn) {
  public static final String EXPONENTIAL = "exponential";
  public static final String FIXED = "fixed";
  public static final String NONE = "none";
  public static final Set<String> STRATEGIES = Set.of(EXPONENTIAL, FIXED, NONE);

  public static final int MAX_RETRIES = 20;
  public static final long MAX_INITIAL_DELAY_MS = 3_600_000L;
  public static final long MAX_DELAY_MS = 86_400_000L;
  public static final double MAX_MULTIPLIER = 10.0;

  /** Failure kinds a policy may retry: timeouts and transport failures by default, tool errors on request. */
  public static final String TIMEOUT = "timeout";
  public static final String TRANSPORT = "transport";
  public static final String TOOL_ERROR = "tool_error";
  public static final Set<String> FAILURE_KINDS = Set.of(TIMEOUT, TRANSPORT, TOOL_ERROR);
  public static final Set<String> DEFAULT_RETRY_ON = Set.of(TIMEOUT, TRANSPORT);

  /** A policy retrying the default failure kinds. */
  public RetryPolicy(String strategy, int maxRetries, long initialDelayMs, long maxDelayMs, double multiplier) {
    this(strategy, maxRetries, initialDelayMs, maxDelayMs, multiplier, DEFAULT_RETRY_ON);
  }

  /** Never retries. */
  public static final RetryPolicy NO_RETRY = new RetryPolicy(NONE, 0, 1_000, 1_000, 1.0);

  public RetryPolicy {
    if (strategy == null || !STRATEGIES.contains(strategy)) {
      throw new IllegalArgumentException("retry strategy must be one of exponential, fixed, none: " + strategy);
    }
    if (maxRetries < 0 || maxRetries > MAX_RETRIES) {
      throw new IllegalArgumentException("maxRetries must be within 0.." + MAX_RETRIES + ": " + maxRetries);
    }
    if (initialDelayMs < 1 || initialDelayMs > MAX_INITIAL_DELAY_MS) {
      throw new IllegalArgumentException("initialDelayMs must be within 1.." + MAX_INITIAL_DELAY_MS + ": " + initialDelayMs);
    }
    if (maxDelayMs < initialDelayMs || maxDelayMs > MAX_DELAY_MS) {
      throw new IllegalArgumentException(
          "maxDelayMs must be within initialDelayMs.." + MAX_DELAY_MS + ": " + maxDelayMs);
    }
    if (!(multiplier >= 1.0 && multiplier <= MAX_MULTIPLIER)) {
      throw new IllegalArgumentException("multiplier must be within 1.." + MAX_MULTIPLIER + ": " + multiplier);
    }
    if (NONE.equals(strategy) && maxRetries != 0) {
      throw new IllegalArgumentException("strategy none cannot have maxRetries " + maxRetries);
    }
    retryOn = retryOn == null ? DEFAULT_RETRY_ON : Set.copyOf(retryOn);
    if (!FAILURE_KINDS.containsAll(retryOn)) {
      throw new IllegalArgumentException("retryOn may list only " + FAILURE_KINDS + ": " + retryOn);
    }
  }

  /** Whether a failure of this kind ({@link #TIMEOUT}, {@link #TRANSPORT}, {@link #TOOL_ERROR}) is worth another attempt. */
  public boolean retriesOn(String failureKind) {
    return retryOn.contains(failureKind);
  }

  /** Whether another attempt is allowed after {@code retriesSoFar} retries. */
  public boolean allowsRetry(int retriesSoFar) {
    return !NONE.equals(strategy) && retriesSoFar < maxRetries;
  }

  /**
   * The wait before retry number {@code retryNumber} (1-based), never more than {@code maxDelayMs}.
   *
   * @param jitter the source of randomness (a seeded one in tests)
   */
  public Duration delayBeforeRetry(int retryNumber, RandomGenerator jitter) {
    if (retryNumber < 1) {
      throw new IllegalArgumentException("retryNumber is 1-based: " + retryNumber);
    }
    return switch (strategy) {
      case NONE -> Duration.ZERO;
      case FIXED -> Duration.ofMillis(Math.min(initialDelayMs, maxDelayMs));
      default -> {
        double uncapped = initialDelayMs * Math.pow(multiplier, retryNumber - 1);
        long cap = (long) Math.min(uncapped, (double) maxDelayMs); // NaN/infinity cannot happen: bounded inputs
        long half = cap / 2;
        yield Duration.ofMillis(half + jitter.nextLong(cap - half + 1));
      }
    };
  }

  public ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("strategy", strategy);
    json.put("maxRetries", maxRetries);
    json.put("initialDelayMs", initialDelayMs);
    json.put("maxDelayMs", maxDelayMs);
    json.put("multiplier", multiplier);
    if (!retryOn.equals(DEFAULT_RETRY_ON)) {
      var kinds = json.putArray("retryOn");
      retryOn.stream().sorted().forEach(kinds::add);
    }
    return json;
  }

  /**
   * A step's {@code retry} object over {@code base} (the workflow's default): each field given
   * replaces the base's. An unspecified {@code maxDelayMs} grows to at least {@code initialDelayMs};
   * strategy {@code none} without {@code maxRetries} means 0 retries.
   */
  static RetryPolicy overlay(JsonNode json, RetryPolicy base) {
    String strategy = json.has("strategy") ? json.get("strategy").asString() : base.strategy();
    int maxRetries = json.has("maxRetries") ? json.get("maxRetries").asInt()
        : NONE.equals(strategy) ? 0 : base.maxRetries();
    if (!NONE.equals(strategy) && NONE.equals(base.strategy()) && !json.has("maxRetries")) {
      maxRetries = ErrorHandling.DEFAULT.maxRetries();
    }
    long initial = json.has("initialDelayMs") ? json.get("initialDelayMs").asLong() : base.initialDelayMs();
    long max = json.has("maxDelayMs") ? json.get("maxDelayMs").asLong() : Math.max(base.maxDelayMs(), initial);
    double multiplier = json.has("multiplier") ? json.get("multiplier").asDouble() : base.multiplier();
    Set<String> retryOn = base.retryOn();
    if (json.has("retryOn")) {
      retryOn = new java.util.HashSet<>();
      for (JsonNode kind : json.get("retryOn")) {
        retryOn.add(kind.asString());
      }
    }
    return new RetryPolicy(strategy, maxRetries, initial, max, multiplier, retryOn);
  }
}

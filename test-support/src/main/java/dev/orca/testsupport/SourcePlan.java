package dev.orca.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Which paths to try, in order, for one server, and why earlier paths were passed over.
 * {@link #choose} is a pure function of the environment and Docker's availability.
 *
 * @param candidates the paths to try in order; never empty
 * @param passedOver why paths that {@code auto} would otherwise try are not tried (e.g. "Docker is not available")
 */
record SourcePlan(List<Source> candidates, List<String> passedOver) {

  SourcePlan {
    candidates = List.copyOf(candidates);
    passedOver = List.copyOf(passedOver);
  }

  /**
   * Chooses the paths for {@code kind}. Docker is probed only when the choice depends on it.
   *
   * @throws IllegalStateException when the environment asks for a path that cannot be taken, saying what to set
   */
  static SourcePlan choose(ServerKind kind, Map<String, String> env, BooleanSupplier dockerAvailable) {
    String mode = valueOf(env, ServerKind.SERVERS_VARIABLE);
    mode = mode == null ? "auto" : mode.toLowerCase(Locale.ROOT);
    boolean externalNamed = kind.variables().stream().anyMatch(v -> valueOf(env, v) != null);
    String prefix = "No " + kind.displayName() + " for integration tests: ";
    switch (mode) {
      case "external" -> {
        requireExternal(kind, env, prefix, ServerKind.SERVERS_VARIABLE + "=external but ");
        return new SourcePlan(List.of(Source.EXTERNAL), List.of());
      }
      case "testcontainers" -> {
        if (!dockerAvailable.getAsBoolean()) {
          throw new IllegalStateException(prefix + ServerKind.SERVERS_VARIABLE
              + "=testcontainers but Docker is not available; start a Docker engine (or set DOCKER_HOST), "
              + "or set " + ServerKind.SERVERS_VARIABLE + "=embedded, or " + kind.externalHint());
        }
        return new SourcePlan(List.of(Source.TESTCONTAINERS), List.of());
      }
      case "embedded" -> {
        return new SourcePlan(List.of(Source.EMBEDDED), List.of());
      }
      case "auto" -> {
        if (externalNamed) {
          requireExternal(kind, env, prefix, "");
          return new SourcePlan(List.of(Source.EXTERNAL), List.of());
        }
        List<Source> candidates = new ArrayList<>();
        List<String> passedOver = new ArrayList<>();
        if (dockerAvailable.getAsBoolean()) {
          candidates.add(Source.TESTCONTAINERS);
        } else {
          passedOver.add("Docker is not available");
        }
        candidates.add(Source.EMBEDDED);
        return new SourcePlan(candidates, passedOver);
      }
      default -> throw new IllegalStateException(prefix + ServerKind.SERVERS_VARIABLE + "=" + valueOf(env, ServerKind.SERVERS_VARIABLE)
          + " is not one of auto, external, testcontainers, embedded");
    }
  }

  private static void requireExternal(ServerKind kind, Map<String, String> env, String prefix, String context) {
    List<String> missing = kind.requiredVariables().stream().filter(v -> valueOf(env, v) == null).toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException(prefix + context + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
          + " not set; " + kind.externalHint()
          + (context.isEmpty() ? ", or unset them all to let the tests start their own" : ""));
    }
  }

  /** A variable's value, or null when unset or blank. */
  static String valueOf(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : value.trim();
  }
}

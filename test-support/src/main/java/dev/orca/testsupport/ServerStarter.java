package dev.orca.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts one server by trying the planned paths in order; logs the path taken, or fails saying why none worked. */
final class ServerStarter {
  private static final Logger log = LoggerFactory.getLogger(ServerStarter.class);

  private ServerStarter() {}

  /** A started server and the path that provided it. */
  record Outcome<T>(Source source, StartedServer<T> server) {}

  static <T> Outcome<T> start(
      ServerKind kind,
      Map<String, String> env,
      BooleanSupplier dockerAvailable,
      Function<Source, ServerProvider<T>> providers,
      Function<T, String> address) {
    SourcePlan plan = SourcePlan.choose(kind, env, dockerAvailable);
    List<String> reasons = new ArrayList<>(plan.passedOver());
    List<Throwable> failures = new ArrayList<>();
    for (Source source : plan.candidates()) {
      ServerProvider<T> provider = providers.apply(source);
      long startedAt = System.nanoTime();
      try {
        StartedServer<T> server = provider.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(kind, server), "stop-test-" + kind.name().toLowerCase()));
        log.info("Test {}: {} ({}) at {}, ready in {} ms", kind.displayName(), source.label(), server.detail(),
            address.apply(server.endpoint()), (System.nanoTime() - startedAt) / 1_000_000);
        return new Outcome<>(source, server);
      } catch (Exception | LinkageError e) {
        String reason = provider.description() + " failed: " + describe(e);
        log.warn("Test {}: {}", kind.displayName(), reason);
        log.debug("Test {}: {}", kind.displayName(), reason, e);
        reasons.add(reason);
        failures.add(e);
      }
    }
    String hint = plan.candidates().contains(Source.EXTERNAL)
        ? "check that server, or unset " + String.join(", ", kind.variables()) + " to let the tests start their own"
        : kind.externalHint();
    IllegalStateException none = new IllegalStateException(
        "No " + kind.displayName() + " for integration tests: " + String.join(" and ", reasons) + "; " + hint,
        failures.isEmpty() ? null : failures.get(failures.size() - 1));
    failures.subList(0, Math.max(0, failures.size() - 1)).forEach(none::addSuppressed);
    throw none;
  }

  private static void stop(ServerKind kind, StartedServer<?> server) {
    try {
      server.stopper().close();
    } catch (Exception e) {
      log.warn("Test {}: stopping failed: {}", kind.displayName(), e.toString());
    }
  }

  /** The exception's message, with its root cause when that says more; wrappers such as ExecutionException are skipped. */
  static String describe(Throwable e) {
    Throwable shown = e;
    while ((shown instanceof java.util.concurrent.ExecutionException || shown instanceof java.util.concurrent.CompletionException)
        && shown.getCause() != null) {
      shown = shown.getCause();
    }
    Throwable root = shown;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = shown.getClass().getSimpleName() + ": " + shown.getMessage();
    boolean rootAddsNothing = root == shown || root.getMessage() == null || String.valueOf(shown.getMessage()).contains(root.getMessage());
    return rootAddsNothing ? message : message + " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }
}

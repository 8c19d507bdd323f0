package dev.orca.common.startup;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcBadGrammarException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Services that do not own the schema (gateway, ingest) wait here, before they serve anything, until
 * the orchestrator has applied at least the version they were built with — rather than racing it.
 * An unreachable database ends start-up after {@code orca.db.connect-timeout}; a reachable one with
 * an older schema is waited on for {@code orca.schema.wait-timeout}.
 */
public final class SchemaGate implements SmartInitializingSingleton {
  private static final Logger log = LoggerFactory.getLogger(SchemaGate.class);
  private static final String APPLIED_VERSIONS =
      "SELECT version FROM flyway_schema_history WHERE success AND version IS NOT NULL";

  private final ConnectionFactory connections;
  private final int requiredVersion;
  private final OrcaProperties properties;

  public SchemaGate(ConnectionFactory connections, int requiredVersion, OrcaProperties properties) {
    this.connections = connections;
    this.requiredVersion = requiredVersion;
    this.properties = properties;
  }

  @Override
  public void afterSingletonsInstantiated() {
    log.info("Waiting for schema version {} at {}", requiredVersion, properties.db().url());
    try {
      // Start-up only: nothing is served until this returns, so waiting on the main thread is the point.
      int found = awaitRequiredVersion().toFuture().join();
      log.info("Schema version {} present (need {})", found, requiredVersion);
    } catch (CompletionException e) {
      throw e.getCause() instanceof StartupCheckException s ? s : e;
    }
  }

  /** Completes with the applied version once it is at least the required one. */
  public Mono<Integer> awaitRequiredVersion() {
    Instant start = Instant.now();
    Duration connectTimeout = properties.db().connectTimeout();
    Duration waitTimeout = properties.schema().waitTimeout();
    return appliedVersion()
        .flatMap(v -> v >= requiredVersion ? Mono.just(v) : Mono.error(new SchemaBehind(v)))
        .retryWhen(Retry.fixedDelay(Long.MAX_VALUE, properties.schema().pollInterval())
            .filter(e -> {
              Duration waited = Duration.between(start, Instant.now());
              return e instanceof SchemaBehind
                  ? waited.compareTo(waitTimeout) < 0
                  : DatabaseFailureAnalyzer.connectionProblem(e) != null && waited.compareTo(connectTimeout) < 0;
            }))
        .onErrorMap(e -> !(e instanceof StartupCheckException), this::explain);
  }

  /** The highest successfully applied migration version; 0 when Flyway has not run yet. */
  Mono<Integer> appliedVersion() {
    return Mono.usingWhen(
            Mono.from(connections.create()),
            c -> versions(c).reduce(0, Math::max),
            Connection::close)
        .onErrorResume(R2dbcBadGrammarException.class, e -> Mono.just(0)); // no history table yet
  }

  private static Flux<Integer> versions(Connection c) {
    return Flux.from(c.createStatement(APPLIED_VERSIONS).execute())
        .flatMap(result -> result.map((row, meta) -> row.get(0, String.class)))
        .map(v -> Integer.parseInt(v.split("\\.")[0]));
  }

  private Throwable explain(Throwable e) {
    if (e instanceof SchemaBehind behind) {
      return new StartupCheckException(
          "The schema at " + properties.db().url() + " is at version " + behind.found
              + " but this service needs version " + requiredVersion + " (waited " + DatabaseFailureAnalyzer.human(properties.schema().waitTimeout()) + ").",
          "Start the orchestrator (it applies the schema) against the same ORCA_DB_URL, or raise ORCA_SCHEMA_WAIT_TIMEOUT.",
          e);
    }
    String reason = DatabaseFailureAnalyzer.connectionProblem(e);
    return new StartupCheckException(
        "Cannot use PostgreSQL at " + properties.db().url() + ": " + (reason != null ? reason : DatabaseFailureAnalyzer.firstLine(e.getMessage())),
        "Start PostgreSQL there, or set ORCA_DB_URL (postgresql://host:port/database), ORCA_DB_USER and ORCA_DB_PASSWORD to a server this service can reach.",
        e);
  }

  private static final class SchemaBehind extends RuntimeException {
    final int found;

    SchemaBehind(int found) {
      super("schema version " + found, null, false, false);
      this.found = found;
    }
  }
}

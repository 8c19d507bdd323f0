package dev.orca.orchestrator.agent.registry;

import io.r2dbc.postgresql.api.PostgresqlException;
import io.r2dbc.spi.R2dbcException;
import java.util.Optional;

/** Database errors the registry maps to problems: a taken slug (23505) and a CHECK the code missed (23514). */
final class RegistryErrors {
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String CHECK_VIOLATION = "23514";

  private RegistryErrors() {}

  static boolean isUniqueViolation(Throwable e) {
    return sqlState(e, UNIQUE_VIOLATION).isPresent();
  }

  /** The name of the CHECK constraint {@code e} violates, if it is a check violation. */
  static Optional<String> checkConstraint(Throwable e) {
    return sqlState(e, CHECK_VIOLATION).map(r -> r instanceof PostgresqlException p
        ? p.getErrorDetails().getConstraintName().orElse("check") : "check");
  }

  private static Optional<R2dbcException> sqlState(Throwable e, String state) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof R2dbcException r && state.equals(r.getSqlState())) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}

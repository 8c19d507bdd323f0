package dev.orca.common.startup;

import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.env.Environment;

/**
 * Start-up failed because PostgreSQL could not be reached or refused us (for example Flyway at the
 * orchestrator's start): say which server and which variables to set, not the driver's stack.
 */
public final class DatabaseFailureAnalyzer implements FailureAnalyzer {
  private final Environment environment;

  public DatabaseFailureAnalyzer(Environment environment) {
    this.environment = environment;
  }

  @Override
  public FailureAnalysis analyze(Throwable failure) {
    String reason = connectionProblem(failure);
    if (reason == null) {
      return null;
    }
    String url = environment.getProperty("orca.db.url", "(orca.db.url not set)");
    return new FailureAnalysis(
        "Cannot use PostgreSQL at " + url + ": " + reason,
        "Start PostgreSQL there, or set ORCA_DB_URL (postgresql://host:port/database), ORCA_DB_USER and ORCA_DB_PASSWORD to a server this service can reach.",
        failure);
  }

  /** The first connection-level cause in the chain, as one line; null when the failure is something else. */
  static String connectionProblem(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null && isConnectionState(sql.getSQLState())) {
        return firstLine(sql.getMessage());
      }
      if (t instanceof ConnectException || t instanceof UnknownHostException) {
        return t.getClass().getSimpleName() + ": " + firstLine(t.getMessage());
      }
      if (t instanceof R2dbcNonTransientResourceException || t instanceof R2dbcTransientResourceException
          || (t instanceof R2dbcException r && r.getSqlState() != null && isConnectionState(r.getSqlState()))) {
        return firstLine(t.getMessage());
      }
    }
    return null;
  }

  // 08 connection exception, 28 invalid authorization, 3D000 no such database
  private static boolean isConnectionState(String state) {
    return state.startsWith("08") || state.startsWith("28") || state.equals("3D000");
  }

  /** 3s, 1m30s: durations as people write them in ORCA_* variables. */
  static String human(java.time.Duration d) {
    return d.toString().substring(2).toLowerCase();
  }

  static String firstLine(String message) {
    if (message == null) {
      return "(no message)";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).strip();
  }
}

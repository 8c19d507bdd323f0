package dev.orca.testsupport;

import java.net.URI;
import java.net.URISyntaxException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/** A PostgreSQL server named by {@code ORCA_TEST_DB_URL}, {@code ORCA_TEST_DB_USER} and {@code ORCA_TEST_DB_PASSWORD}. */
final class ExternalPostgres implements ServerProvider<TestDatabase> {
  private final Map<String, String> env;

  ExternalPostgres(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public String description() {
    return "the server at ORCA_TEST_DB_URL=" + env.get("ORCA_TEST_DB_URL");
  }

  @Override
  public StartedServer<TestDatabase> start() throws SQLException {
    String password = env.get("ORCA_TEST_DB_PASSWORD");
    TestDatabase admin = parse(SourcePlan.valueOf(env, "ORCA_TEST_DB_URL"), SourcePlan.valueOf(env, "ORCA_TEST_DB_USER"),
        password == null ? "" : password);
    try (Connection c = admin.connect()) {
      return new StartedServer<>(admin, "PostgreSQL " + c.getMetaData().getDatabaseProductVersion(), () -> {});
    }
  }

  /** Reads {@code postgresql://host[:port]/db} (a {@code jdbc:} or {@code r2dbc:} prefix is tolerated). */
  static TestDatabase parse(String url, String user, String password) {
    String plain = url.replaceFirst("^(jdbc:|r2dbc:)", "");
    try {
      URI uri = new URI(plain);
      String db = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
      if (!"postgresql".equals(uri.getScheme()) || uri.getHost() == null || db.isEmpty()) {
        throw new IllegalArgumentException("ORCA_TEST_DB_URL=" + url + " is not of the form postgresql://host:port/database");
      }
      return new TestDatabase(uri.getHost(), uri.getPort() == -1 ? 5432 : uri.getPort(), db, user, password);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("ORCA_TEST_DB_URL=" + url + " is not of the form postgresql://host:port/database", e);
    }
  }
}

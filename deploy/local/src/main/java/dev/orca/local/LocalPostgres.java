package dev.orca.local;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The embedded PostgreSQL server, its data kept in {@code <home>/postgres} so a restart keeps earlier rows. On first
 * start it creates the role and database the services use.
 */
final class LocalPostgres implements AutoCloseable {
  private final EmbeddedPostgres server;
  private final Path dataDir;

  private LocalPostgres(EmbeddedPostgres server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
  }

  static LocalPostgres start(Path home, int port, String user, String password) {
    Path dataDir = home.resolve("postgres");
    Path log = home.resolve("logs").resolve("postgres.log");
    try {
      Files.createDirectories(dataDir);
      Files.createDirectories(log.getParent());
      EmbeddedPostgres server = EmbeddedPostgres.builder()
          .setDataDirectory(dataDir)
          .setCleanDataDirectory(false)
          .setPort(port)
          .setRegisterShutdownHook(false)
          .setPGStartupWait(Duration.ofSeconds(30))
          .setOutputRedirector(Redirect.appendTo(log.toFile()))
          .setErrorRedirector(Redirect.appendTo(log.toFile()))
          .start();
      LocalPostgres pg = new LocalPostgres(server, dataDir);
      pg.ensureDatabase(user, password);
      return pg;
    } catch (IOException | SQLException | RuntimeException e) {
      if (e instanceof LaunchException le) {
        throw le;
      }
      throw new LaunchException("Embedded PostgreSQL did not start (" + oneLine(e) + "); see " + log
          + " — if " + dataDir + " is damaged, delete it to start afresh (this drops local data)", e);
    }
  }

  /** A server left behind by a launcher killed with SIGKILL keeps the data directory; say how to stop it. */
  static void requireNoEarlierServer(Path home) {
    Path dataDir = home.resolve("postgres");
    Path pidFile = dataDir.resolve("postmaster.pid");
    String first;
    try {
      first = Files.isRegularFile(pidFile) ? Files.readAllLines(pidFile).stream().findFirst().orElse("").trim() : "";
    } catch (IOException e) {
      return;
    }
    try {
      long pid = Long.parseLong(first);
      if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        throw new LaunchException("A PostgreSQL from an earlier run still uses " + dataDir + " (pid " + pid
            + "): stop it with 'kill " + pid + "' and start again");
      }
    } catch (NumberFormatException e) {
      // not a pid file we understand; PostgreSQL itself will judge it
    }
  }

  private void ensureDatabase(String user, String password) throws SQLException {
    try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      if (!exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", user)) {
        s.execute("CREATE ROLE " + quoteIdent(user) + " LOGIN PASSWORD " + quoteLiteral(password));
      }
      if (!exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", "orca")) {
        s.execute("CREATE DATABASE orca OWNER " + quoteIdent(user));
      }
    }
  }

  private static boolean exists(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  int port() {
    return server.getPort();
  }

  Path dataDir() {
    return dataDir;
  }

  /** Checks that {@code jdbc:<url>} accepts the credentials; used for an external server named by ORCA_DB_URL. */
  static void requireReachable(String url, String user, String password) {
    DriverManager.setLoginTimeout(5);
    try (Connection c = DriverManager.getConnection("jdbc:" + url, user, password)) {
      c.isValid(5);
    } catch (SQLException e) {
      throw new LaunchException("Cannot use the PostgreSQL named by ORCA_DB_URL (" + url + "): " + oneLine(e)
          + " — fix ORCA_DB_URL / ORCA_DB_USER / ORCA_DB_PASSWORD, or unset ORCA_DB_URL to use the embedded one", e);
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.replaceAll("\\s+", " ").trim();
  }

  private static String quoteIdent(String s) {
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  private static String quoteLiteral(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}

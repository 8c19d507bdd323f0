package dev.orca.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;

/** PostgreSQL from zonky's embedded binaries, run on this machine on a free port. */
final class ZonkyPostgres implements ServerProvider<TestDatabase> {

  @Override
  public String description() {
    return "the embedded server (zonky)";
  }

  @Override
  public StartedServer<TestDatabase> start() throws IOException, SQLException {
    EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setServerConfig("max_connections", "300")
        .setServerConfig("fsync", "off")
        .start();
    TestDatabase admin = new TestDatabase("localhost", pg.getPort(), "postgres", "postgres", "postgres");
    try (Connection c = admin.connect()) {
      return new StartedServer<>(admin, "zonky " + c.getMetaData().getDatabaseProductVersion(), pg);
    } catch (SQLException | RuntimeException e) {
      pg.close();
      throw e;
    }
  }
}

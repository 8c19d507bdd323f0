package dev.orca.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class TestPostgresIT {

  @Test
  void getReturnsTheSameSharedServer() {
    assertThat(TestPostgres.get()).isSameAs(TestPostgres.get());
    assertThat(TestPostgres.get().source()).isIn("external", "testcontainers", "embedded");
  }

  @Test
  void freshDatabaseAcceptsAConnectionAndDdl() throws Exception {
    TestDatabase db = TestPostgres.get().freshDatabase("ddl");
    assertThat(db.url()).isEqualTo("postgresql://" + db.host() + ":" + db.port() + "/" + db.name());
    assertThat(db.jdbcUrl()).isEqualTo("jdbc:" + db.url());
    assertThat(db.r2dbcUrl()).isEqualTo("r2dbc:" + db.url());
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)");
      assertThat(s.executeUpdate("INSERT INTO t VALUES (1, 'one')")).isEqualTo(1);
      try (ResultSet rs = s.executeQuery("SELECT current_database(), v FROM t")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo(db.name());
        assertThat(rs.getString(2)).isEqualTo("one");
      }
    }
  }

  @Test
  void freshDatabasesAreDistinct() throws Exception {
    TestDatabase a = TestPostgres.get().freshDatabase("same");
    TestDatabase b = TestPostgres.get().freshDatabase("same");
    assertThat(a.name()).isNotEqualTo(b.name());
    try (Connection c = a.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE only_in_a (id int)");
    }
    try (Connection c = b.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'")) {
      rs.next();
      assertThat(rs.getInt(1)).isZero();
    }
  }

  @Test
  void serverIsPostgres15OrLater() throws Exception {
    try (Connection c = TestPostgres.get().adminDatabase().connect()) {
      assertThat(c.getMetaData().getDatabaseMajorVersion()).isGreaterThanOrEqualTo(15);
    }
  }
}

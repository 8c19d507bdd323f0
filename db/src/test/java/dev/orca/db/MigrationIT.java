package dev.orca.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A fresh database migrates with Flyway to {@link Schema#VERSION} and has every table of DESIGN §2. */
class MigrationIT {
  static final List<String> EXPECTED_TABLES = List.of(
      // AFU-9 core (V1) and workflow versions (V2)
      "workflows", "workflow_versions", "workflow_executions", "workflow_steps", "mcp_servers",
      "repositories", "agent_runs", "mcp_tool_calls",
      // V3..V7
      "organizations", "agents", "events", "event_subscriptions", "error_patterns",
      "capabilities", "tools", "webhook_outbox", "execution_outbox");

  static TestDatabase db;
  static MigrateResult result;

  @BeforeAll
  static void migrate() {
    db = TestPostgres.get().freshDatabase("db_migration");
    result = Migrations.flyway(db);
  }

  @Test
  void migratesEveryFileOnce() {
    assertThat(result.success).isTrue();
    assertThat(result.migrationsExecuted).isEqualTo(Migrations.onClasspath().size());
    assertThat(result.targetSchemaVersion).isEqualTo(String.valueOf(Schema.VERSION));
  }

  @Test
  void schemaVersionIsSchemaVersionConstant() throws SQLException {
    Flyway flyway = Migrations.flywayFor(db);
    MigrationInfo current = flyway.info().current();
    assertThat(current.getVersion().getVersion()).isEqualTo(String.valueOf(Schema.VERSION));
    assertThat(flyway.info().applied()).allSatisfy(m -> assertThat(m.getState()).isEqualTo(MigrationState.SUCCESS));
    assertThat(flyway.info().pending()).isEmpty();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery(
             "SELECT max(version::int) FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(Schema.VERSION);
    }
  }

  @Test
  void secondMigrateIsANoOpAndValidates() {
    Flyway flyway = Migrations.flywayFor(db);
    assertThat(flyway.migrate().migrationsExecuted).isZero();
    assertThat(flyway.validateWithResult().validationSuccessful).isTrue();
  }

  @Test
  void migratesWithFlywayDefaultsTooAsSpringBootConfiguresIt() {
    TestDatabase other = TestPostgres.get().freshDatabase("db_migration_defaults");
    MigrateResult r = Flyway.configure().dataSource(other.jdbcUrl(), other.username(), other.password()).load().migrate();
    assertThat(r.success).isTrue();
    assertThat(r.targetSchemaVersion).isEqualTo(String.valueOf(Schema.VERSION));
  }

  @Test
  void everyExpectedTableExistsAndNoOther() throws SQLException {
    List<String> tables = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("""
             SELECT table_name FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
               AND table_name <> 'flyway_schema_history'""")) {
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
    }
    assertThat(tables).containsExactlyInAnyOrderElementsOf(EXPECTED_TABLES);
  }

  @Test
  void timestampsAreTimestamptzAndAuditColumnsNotNullWithDefault() throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("""
          SELECT table_name || '.' || column_name FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> 'flyway_schema_history'
            AND data_type = 'timestamp without time zone'""")) {
        List<String> naive = new ArrayList<>();
        while (rs.next()) {
          naive.add(rs.getString(1));
        }
        assertThat(naive).as("columns of type TIMESTAMP without time zone").isEmpty();
      }
      try (ResultSet rs = s.executeQuery("""
          SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> 'flyway_schema_history'
            AND column_name IN ('created_at', 'updated_at')""")) {
        int n = 0;
        while (rs.next()) {
          n++;
          String col = rs.getString(1) + "." + rs.getString(2);
          assertThat(rs.getString(3)).as(col).isEqualTo("timestamp with time zone");
          assertThat(rs.getString(4)).as(col + " nullable").isEqualTo("NO");
          assertThat(rs.getString(5)).as(col + " default").isEqualTo("now()");
        }
        assertThat(n).isGreaterThanOrEqualTo(EXPECTED_TABLES.size());
      }
    }
  }

  @Test
  void everyTableWithUpdatedAtHasTheOneTrigger() throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      List<String> withUpdatedAt = strings(s, """
          SELECT table_name FROM information_schema.columns
          WHERE table_schema = 'public' AND column_name = 'updated_at' ORDER BY 1""");
      List<String> withTrigger = strings(s, """
          SELECT DISTINCT t.tgrelid::regclass::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
          WHERE NOT t.tgisinternal AND p.proname = 'set_updated_at'
            AND (t.tgtype & 2) <> 0 AND (t.tgtype & 1) <> 0 AND (t.tgtype & 16) <> 0 ORDER BY 1""");
      assertThat(withUpdatedAt).hasSizeGreaterThanOrEqualTo(14);
      assertThat(withTrigger).as("tables with a BEFORE UPDATE FOR EACH ROW set_updated_at trigger")
          .containsExactlyElementsOf(withUpdatedAt);
      assertThat(strings(s, "SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
          + " WHERE n.nspname = 'public' AND p.prorettype = 'trigger'::regtype"))
          .as("trigger functions").containsExactly("set_updated_at");
    }
  }

  @Test
  void everyForeignKeyHasAnIndexLeadingWithItsFirstColumn() throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      List<String> fks = strings(s, """
          SELECT conrelid::regclass || '.' || conname FROM pg_constraint
          WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1""");
      List<String> unindexed = strings(s, """
          SELECT f.conrelid::regclass || '.' || f.conname FROM pg_constraint f
          WHERE f.contype = 'f' AND f.connamespace = 'public'::regnamespace
            AND NOT EXISTS (SELECT 1 FROM pg_index i
                            WHERE i.indrelid = f.conrelid AND i.indkey[0] = f.conkey[1])
          ORDER BY 1""");
      assertThat(fks).hasSizeGreaterThanOrEqualTo(15);
      assertThat(unindexed).as("foreign keys without a supporting index").isEmpty();
    }
  }

  @Test
  void noRowLevelSecurityAndNoRows() throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      assertThat(strings(s, "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
          + " AND relrowsecurity")).isEmpty();
      for (String table : EXPECTED_TABLES) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          assertThat(rs.getLong(1)).as("rows in " + table + " (migrations are schema only)").isZero();
        }
      }
    }
  }

  static List<String> strings(Statement s, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}

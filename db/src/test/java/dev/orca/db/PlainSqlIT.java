package dev.orca.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The migrations are plain SQL: applied in version order without Flyway they give exactly the
 * schema Flyway gives. Over JDBC always; with {@code psql -v ON_ERROR_STOP=1 -f} too when psql is
 * on the PATH (it is on developer machines and in CI).
 */
class PlainSqlIT {
  static SchemaSnapshot viaFlyway;

  @BeforeAll
  static void flywayReference() throws SQLException {
    TestDatabase db = TestPostgres.get().freshDatabase("db_plain_ref");
    Migrations.flyway(db);
    try (Connection c = db.connect()) {
      viaFlyway = SchemaSnapshot.of(c);
    }
  }

  @Test
  void referenceSnapshotDescribesTheWholeSchema() {
    assertThat(viaFlyway.part("relations")).anyMatch(l -> l.startsWith("workflow_executions |"))
        .anyMatch(l -> l.startsWith("webhook_outbox_id_seq | S"))
        .noneMatch(l -> l.startsWith("flyway_schema_history"));
    assertThat(viaFlyway.part("columns")).anyMatch(l -> l.startsWith("workflow_executions |")
        && l.contains("| next_run_at | timestamp with time zone |"));
    assertThat(viaFlyway.part("constraints"))
        .anyMatch(l -> l.contains("chk_agents_context_needs_llm_config_no_endpoint"));
    assertThat(viaFlyway.part("indexes")).anyMatch(l -> l.contains("idx_executions_claim")
        && l.contains("WHERE") && l.contains("pending"));
    assertThat(viaFlyway.part("triggers")).hasSizeGreaterThanOrEqualTo(14);
    assertThat(viaFlyway.part("functions")).singleElement().asString().startsWith("set_updated_at |");
  }

  @Test
  void plainSqlGivesTheFlywaySchema() throws Exception {
    TestDatabase viaJdbc = TestPostgres.get().freshDatabase("db_plain_jdbc");
    Migrations.plainJdbc(viaJdbc);
    try (Connection c = viaJdbc.connect()) {
      assertThat(SchemaSnapshot.of(c)).as("schema applied as plain SQL over JDBC").isEqualTo(viaFlyway);
    }

    Optional<Path> psql = onPath("psql");
    if (psql.isPresent()) {
      TestDatabase viaPsql = TestPostgres.get().freshDatabase("db_plain_psql");
      for (Migrations.Migration m : Migrations.onClasspath()) {
        runPsql(psql.get(), viaPsql, m);
      }
      try (Connection c = viaPsql.connect()) {
        assertThat(SchemaSnapshot.of(c)).as("schema applied with psql -f").isEqualTo(viaFlyway);
      }
    }
  }

  @Test
  void filesUseNoFlywayOnlySyntax() {
    for (Migrations.Migration m : Migrations.onClasspath()) {
      assertThat(m.sql()).as(m.fileName() + " uses no placeholders").doesNotContain("${");
      assertThat(m.sql()).as(m.fileName() + " manages no transactions of its own")
          .doesNotContainPattern("(?im)^\\s*(BEGIN|COMMIT|ROLLBACK)\\s*;");
    }
  }

  private static void runPsql(Path psql, TestDatabase db, Migrations.Migration m) throws IOException, InterruptedException {
    Path log = Files.createTempFile("psql-" + m.version() + "-", ".log");
    Path sql = Files.createTempFile("V" + m.version() + "-", ".sql");
    Files.writeString(sql, m.sql(), StandardCharsets.UTF_8);
    URI url = URI.create(db.url()); // postgresql://host:port/name
    ProcessBuilder pb = new ProcessBuilder(psql.toString(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1",
        "-h", url.getHost(), "-p", String.valueOf(url.getPort()), "-U", db.username(),
        "-d", url.getPath().substring(1),
        "-f", sql.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("PGPASSWORD", db.password());
    Process p = pb.start();
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("psql finished " + m.fileName()).isTrue();
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("psql exit code for " + m.fileName() + ", output:\n" + output).isZero();
    assertThat(output).as("psql output for " + m.fileName()).doesNotContain("ERROR");
    Files.deleteIfExists(log);
    Files.deleteIfExists(sql);
  }

  private static Optional<Path> onPath(String program) {
    String path = System.getenv("PATH");
    List<Path> candidates = new ArrayList<>();
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          candidates.add(Path.of(dir, program));
        }
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }
}

package dev.orca.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import dev.orca.testsupport.TestDatabase;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/** The migration files on the classpath, and the two ways of applying them. */
final class Migrations {
  static final String DIRECTORY = "db/migration";
  static final Pattern FILE_NAME = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");

  /** One migration file. */
  record Migration(int version, String description, String fileName, Path path, String sql) {}

  private Migrations() {}

  /** Every file in {@value #DIRECTORY}, in version order; fails on a file that is not a migration. */
  static List<Migration> onClasspath() {
    URL url = Migrations.class.getClassLoader().getResource(DIRECTORY);
    if (url == null) {
      throw new IllegalStateException("No " + DIRECTORY + " on the classpath");
    }
    try {
      URI uri = url.toURI();
      if ("jar".equals(uri.getScheme())) {
        try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
          return list(fs.getPath(DIRECTORY));
        }
      }
      return list(Path.of(uri));
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Migration> list(Path dir) throws IOException {
    List<Migration> result = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String name = p.getFileName().toString();
        Matcher m = FILE_NAME.matcher(name);
        if (!m.matches()) {
          throw new IllegalStateException("Not a migration file name V{n}__{what}.sql: " + name);
        }
        result.add(new Migration(Integer.parseInt(m.group(1)), m.group(2), name, p,
            Files.readString(p, StandardCharsets.UTF_8)));
      }
    }
    result.sort(Comparator.comparingInt(Migration::version));
    return List.copyOf(result);
  }

  /** Migrates the database with Flyway, as the orchestrator does. */
  static MigrateResult flyway(TestDatabase db) {
    return flywayFor(db).migrate();
  }

  static Flyway flywayFor(TestDatabase db) {
    return Flyway.configure()
        .dataSource(db.jdbcUrl(), db.username(), db.password())
        .locations(Schema.LOCATION)
        .placeholderReplacement(false)
        .load();
  }

  /** Applies every file in version order as plain SQL over JDBC, one transaction per file. */
  static void plainJdbc(TestDatabase db) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      for (Migration m : onClasspath()) {
        try (Statement s = c.createStatement()) {
          s.execute(m.sql());
          c.commit();
        } catch (SQLException e) {
          c.rollback();
          throw new SQLException("Plain SQL failed in " + m.fileName() + ": " + e.getMessage(), e.getSQLState(), e);
        }
      }
    }
  }

}

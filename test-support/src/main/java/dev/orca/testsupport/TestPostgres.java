package dev.orca.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server, started once per test JVM and shared by every test class.
 * Tests get isolation by asking for a {@link #freshDatabase fresh database}.
 */
public final class TestPostgres {
  private static final Logger log = LoggerFactory.getLogger(TestPostgres.class);
  private static final AtomicInteger counter = new AtomicInteger();
  private static volatile TestPostgres instance;

  private final TestDatabase admin;
  private final String source;

  private TestPostgres(TestDatabase admin, String source) {
    this.admin = admin;
    this.source = source;
  }

  /** The shared server; starts it on first use, or fails saying why no server could be had. */
  public static TestPostgres get() {
    if (instance == null) {
      synchronized (TestPostgres.class) {
        if (instance == null) {
          instance = start();
        }
      }
    }
    return instance;
  }

  private static TestPostgres start() {
    try {
      EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(pg)));
      TestPostgres started =
          new TestPostgres(new TestDatabase("localhost", pg.getPort(), "postgres", "postgres", "postgres"), "embedded");
      log.info("Test PostgreSQL: {} at {}", started.source, started.admin.url());
      return started;
    } catch (IOException e) {
      throw new IllegalStateException("No PostgreSQL for integration tests: embedded server failed to start: " + e.getMessage(), e);
    }
  }

  /** Which path provided the server: {@code testcontainers}, {@code embedded} or {@code external}. */
  public String source() {
    return source;
  }

  /** The server's maintenance database; prefer {@link #freshDatabase} in tests. */
  public TestDatabase adminDatabase() {
    return admin;
  }

  /** Creates a new, empty database named {@code prefix_N} on the shared server. */
  public TestDatabase freshDatabase(String prefix) {
    String name = (prefix.toLowerCase().replaceAll("[^a-z0-9_]", "_") + "_" + counter.incrementAndGet() + "_" + ProcessHandle.current().pid());
    try (Connection c = admin.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("Could not create test database " + name + ": " + e.getMessage(), e);
    }
    return new TestDatabase(admin.host(), admin.port(), name, admin.username(), admin.password());
  }

  private static void closeQuietly(EmbeddedPostgres pg) {
    try {
      pg.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.orca.testsupport;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server, started once per test JVM and shared by every test class.
 * Tests get isolation by asking for a {@link #freshDatabase fresh database}.
 *
 * <p>The server is, in order: the one named by {@code ORCA_TEST_DB_URL}/{@code _USER}/{@code _PASSWORD}; a
 * Testcontainers {@code postgres:17-alpine} when Docker answers; an embedded zonky server. {@code ORCA_TEST_SERVERS}
 * forces one path. When none works, {@link #get()} throws saying why and what to set; it never skips.
 */
public final class TestPostgres {
  private static final Logger log = LoggerFactory.getLogger(TestPostgres.class);
  private static final AtomicInteger counter = new AtomicInteger();
  private static final int MAX_NAME = 63;
  private static final OnceStarted<TestPostgres> shared = new OnceStarted<>(() -> start(System.getenv(), DockerProbe::available));

  private final TestDatabase admin;
  private final Source source;
  private final List<String> created = new CopyOnWriteArrayList<>();

  private TestPostgres(TestDatabase admin, Source source) {
    this.admin = admin;
    this.source = source;
  }

  /** The shared server; starts it on first use, or fails saying why no server could be had. */
  public static TestPostgres get() {
    return shared.get();
  }

  private static TestPostgres start(Map<String, String> env, BooleanSupplier docker) {
    ServerStarter.Outcome<TestDatabase> outcome = ServerStarter.start(ServerKind.POSTGRESQL, env, docker,
        source -> switch (source) {
          case EXTERNAL -> new ExternalPostgres(env);
          case TESTCONTAINERS -> new ContainerPostgres(SourcePlan.valueOf(env, "ORCA_TEST_DB_IMAGE"));
          case EMBEDDED -> new ZonkyPostgres();
        },
        TestDatabase::url);
    TestPostgres started = new TestPostgres(outcome.server().endpoint(), outcome.source());
    if (outcome.source() == Source.EXTERNAL) {
      // Our servers vanish with the JVM; on a shared one, drop what this JVM created.
      Runtime.getRuntime().addShutdownHook(new Thread(started::dropCreated, "drop-test-databases"));
    }
    return started;
  }

  /** Which path provided the server: {@code external}, {@code testcontainers} or {@code embedded}. */
  public String source() {
    return source.label();
  }

  /** The server's maintenance database; prefer {@link #freshDatabase} in tests. */
  public TestDatabase adminDatabase() {
    return admin;
  }

  /** Creates a new, empty database named {@code prefix_N_pid} on the shared server. */
  public TestDatabase freshDatabase(String prefix) {
    String name = databaseName(prefix, counter.incrementAndGet(), ProcessHandle.current().pid());
    try (Connection c = admin.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException("Could not create test database " + name + " on " + admin.url() + ": " + e.getMessage(), e);
    }
    created.add(name);
    return new TestDatabase(admin.host(), admin.port(), name, admin.username(), admin.password());
  }

  /** A lower-case identifier from the prefix, unique per JVM and per process, within PostgreSQL's 63 bytes. */
  static String databaseName(String prefix, int n, long pid) {
    String suffix = "_" + n + "_" + pid;
    String base = prefix == null ? "" : prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (base.isEmpty() || !Character.isLetter(base.charAt(0)) && base.charAt(0) != '_') {
      base = "db_" + base;
    }
    return base.substring(0, Math.min(base.length(), MAX_NAME - suffix.length())) + suffix;
  }

  private void dropCreated() {
    try (Connection c = admin.connect(); Statement s = c.createStatement()) {
      for (String name : created) {
        s.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
      }
    } catch (SQLException e) {
      log.warn("Test PostgreSQL: could not drop test databases {} on {}: {}", created, admin.url(), e.getMessage());
    }
  }
}

package dev.orca.testsupport;

import org.testcontainers.postgresql.PostgreSQLContainer;

/** PostgreSQL in a Testcontainers container ({@value #IMAGE}, or {@code ORCA_TEST_DB_IMAGE}). */
final class ContainerPostgres implements ServerProvider<TestDatabase> {
  static final String IMAGE = "postgres:17-alpine";
  private final String image;

  ContainerPostgres(String image) {
    this.image = image == null ? IMAGE : image;
  }

  @Override
  public String description() {
    return "Testcontainers (" + image + ")";
  }

  @Override
  public StartedServer<TestDatabase> start() {
    PostgreSQLContainer container = new PostgreSQLContainer(image)
        .withDatabaseName("postgres")
        .withUsername("postgres")
        .withPassword("postgres");
    container.withCommand("postgres", "-c", "fsync=off", "-c", "max_connections=300");
    try {
      container.start();
    } catch (RuntimeException e) {
      container.stop();
      throw e;
    }
    TestDatabase admin = new TestDatabase(container.getHost(), container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT),
        container.getDatabaseName(), container.getUsername(), container.getPassword());
    return new StartedServer<>(admin, "testcontainers " + image, container::stop);
  }
}

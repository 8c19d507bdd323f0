package dev.orca.common.startup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.net.ServerSocket;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class SchemaGateIT {
  private static final int REQUIRED = 3;

  @Test
  void waitsUntilTheRequiredVersionIsApplied() throws Exception {
    TestDatabase db = TestPostgres.get().freshDatabase("schema_gate");
    SchemaGate gate = gate(db, Duration.ofSeconds(30));

    StepVerifier.create(gate.appliedVersion()).expectNext(0).verifyComplete(); // no history table yet

    Mono<Integer> awaited = gate.awaitRequiredVersion().cache();
    var done = awaited.toFuture();
    execute(db, "CREATE TABLE flyway_schema_history (version VARCHAR(50), success BOOLEAN NOT NULL)",
        "INSERT INTO flyway_schema_history VALUES (NULL, true), ('1', true), ('2', true)");
    StepVerifier.create(gate.appliedVersion()).expectNext(2).verifyComplete();
    assertThat(done).as("still waiting at version 2").isNotDone();

    execute(db, "INSERT INTO flyway_schema_history VALUES ('3', false)");
    assertThat(done).as("a failed migration does not count").isNotDone();

    execute(db, "INSERT INTO flyway_schema_history VALUES ('3', true)");
    assertThat(done.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(3);
  }

  @Test
  void givesUpOnAnOldSchemaWithAMessageNamingTheOrchestrator() {
    TestDatabase db = TestPostgres.get().freshDatabase("schema_gate_old");
    StepVerifier.create(gate(db, Duration.ofMillis(600)).awaitRequiredVersion())
        .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(StartupCheckException.class)
            .hasMessageContaining("is at version 0 but this service needs version 3"))
        .verify(Duration.ofSeconds(20));
  }

  @Test
  void givesUpOnAnUnreachableDatabaseNamingTheUrl() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    TestDatabase nowhere = new TestDatabase("localhost", closed, "orca", "orca", "orca");
    StepVerifier.create(gate(nowhere, Duration.ofSeconds(30)).awaitRequiredVersion())
        .expectErrorSatisfies(e -> {
          assertThat(e).isInstanceOf(StartupCheckException.class)
              .hasMessageContaining("Cannot use PostgreSQL at " + nowhere.url());
          assertThat(((StartupCheckException) e).fix()).contains("ORCA_DB_URL");
        })
        .verify(Duration.ofSeconds(20));
  }

  private static SchemaGate gate(TestDatabase db, Duration waitTimeout) {
    ConnectionFactory connections = ConnectionFactories.get(ConnectionFactoryOptions.parse(db.r2dbcUrl()).mutate()
        .option(ConnectionFactoryOptions.USER, db.username())
        .option(ConnectionFactoryOptions.PASSWORD, db.password())
        .build());
    OrcaProperties properties = new OrcaProperties(
        new OrcaProperties.Db(db.url(), db.username(), db.password(), Duration.ofSeconds(1)),
        new OrcaProperties.Kafka("unused:9092", false, Duration.ofSeconds(1)),
        new OrcaProperties.Schema(true, waitTimeout, Duration.ofMillis(100)));
    return new SchemaGate(connections, REQUIRED, properties);
  }

  private static void execute(TestDatabase db, String... statements) throws Exception {
    try (Connection c = db.connect()) {
      for (String sql : statements) {
        c.createStatement().execute(sql);
      }
    }
  }
}

package dev.orca.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerStarterTest {

  @Test
  void noServerAtAllThrowsSayingWhyAndWhatToSet() {
    assertThatThrownBy(() -> ServerStarter.start(ServerKind.KAFKA, Map.of(), () -> false,
            source -> failing("the embedded KRaft broker", "port in use"), s -> s))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("No Kafka for integration tests: Docker is not available and the embedded KRaft broker failed:"
            + " IllegalStateException: port in use; set ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS to use an existing broker")
        .cause().hasMessage("port in use");
  }

  @Test
  void failingContainerFallsBackToEmbedded() {
    ServerStarter.Outcome<String> outcome = ServerStarter.start(ServerKind.KAFKA, Map.of(), () -> true,
        source -> source == Source.TESTCONTAINERS ? failing("Testcontainers (apache/kafka)", "pull denied") : started("localhost:9"),
        s -> s);
    assertThat(outcome.source()).isEqualTo(Source.EMBEDDED);
    assertThat(outcome.server().endpoint()).isEqualTo("localhost:9");
  }

  @Test
  void unreachableExternalServerIsNotReplacedAndTheMessageSaysSo() {
    Map<String, String> env = Map.of("ORCA_TEST_DB_URL", "postgresql://nowhere:5432/x", "ORCA_TEST_DB_USER", "u");
    assertThatThrownBy(() -> ServerStarter.start(ServerKind.POSTGRESQL, env, () -> true,
            source -> new ExternalPostgres(env), TestDatabase::url))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("No PostgreSQL for integration tests: the server at ORCA_TEST_DB_URL=postgresql://nowhere:5432/x failed:")
        .hasMessageEndingWith("; check that server, or unset ORCA_TEST_DB_URL, ORCA_TEST_DB_USER, ORCA_TEST_DB_PASSWORD"
            + " to let the tests start their own");
  }

  @Test
  void externalUrlIsParsedInEveryAcceptedForm() {
    assertThat(ExternalPostgres.parse("postgresql://db.example:5433/orca", "u", "p"))
        .isEqualTo(new TestDatabase("db.example", 5433, "orca", "u", "p"));
    assertThat(ExternalPostgres.parse("jdbc:postgresql://db.example/orca", "u", ""))
        .isEqualTo(new TestDatabase("db.example", 5432, "orca", "u", ""));
    assertThatThrownBy(() -> ExternalPostgres.parse("mysql://db.example/orca", "u", "p"))
        .hasMessageContaining("not of the form postgresql://host:port/database");
  }

  @Test
  void databaseNamesAreSafeIdentifiers() {
    assertThat(TestPostgres.databaseName("Engine-IT", 3, 42)).isEqualTo("engine_it_3_42");
    assertThat(TestPostgres.databaseName("1st", 1, 7)).isEqualTo("db_1st_1_7");
    assertThat(TestPostgres.databaseName("x".repeat(100), 12, 123456)).hasSize(63).endsWith("_12_123456");
  }

  @Test
  void failureDescriptionsSkipWrappersAndRepeatNothing() {
    var timeout = new java.util.concurrent.TimeoutException("Timed out waiting for a node assignment");
    assertThat(ServerStarter.describe(new java.util.concurrent.ExecutionException(timeout)))
        .isEqualTo("TimeoutException: Timed out waiting for a node assignment");
    assertThat(ServerStarter.describe(new IllegalStateException("connect failed", new java.net.ConnectException("refused"))))
        .isEqualTo("IllegalStateException: connect failed (caused by ConnectException: refused)");
  }

  private static ServerProvider<String> failing(String description, String message) {
    return new ServerProvider<>() {
      @Override
      public String description() {
        return description;
      }

      @Override
      public StartedServer<String> start() {
        throw new IllegalStateException(message);
      }
    };
  }

  private static ServerProvider<String> started(String endpoint) {
    return new ServerProvider<>() {
      @Override
      public String description() {
        return "fake";
      }

      @Override
      public StartedServer<String> start() {
        return new StartedServer<>(endpoint, "fake", () -> {});
      }
    };
  }
}

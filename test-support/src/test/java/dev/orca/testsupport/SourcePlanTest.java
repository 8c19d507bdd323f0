package dev.orca.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class SourcePlanTest {
  private static final BooleanSupplier DOCKER = () -> true;
  private static final BooleanSupplier NO_DOCKER = () -> false;
  private static final BooleanSupplier MUST_NOT_PROBE = () -> {
    throw new AssertionError("Docker must not be probed here");
  };
  private static final Map<String, String> EXTERNAL_DB = Map.of(
      "ORCA_TEST_DB_URL", "postgresql://db.example:5433/orca",
      "ORCA_TEST_DB_USER", "orca",
      "ORCA_TEST_DB_PASSWORD", "secret");

  @Test
  void autoPrefersServersNamedByEnvironmentWithoutProbingDocker() {
    assertThat(SourcePlan.choose(ServerKind.POSTGRESQL, EXTERNAL_DB, MUST_NOT_PROBE).candidates())
        .containsExactly(Source.EXTERNAL);
    assertThat(SourcePlan.choose(ServerKind.KAFKA, Map.of("ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS", "k:9092"), MUST_NOT_PROBE)
        .candidates()).containsExactly(Source.EXTERNAL);
  }

  @Test
  void eachServerIsChosenOnItsOwn() {
    assertThat(SourcePlan.choose(ServerKind.KAFKA, EXTERNAL_DB, NO_DOCKER).candidates()).containsExactly(Source.EMBEDDED);
  }

  @Test
  void autoUsesTestcontainersWhenDockerAnswersAndFallsBackToEmbedded() {
    SourcePlan plan = SourcePlan.choose(ServerKind.POSTGRESQL, Map.of(), DOCKER);
    assertThat(plan.candidates()).containsExactly(Source.TESTCONTAINERS, Source.EMBEDDED);
    assertThat(plan.passedOver()).isEmpty();
  }

  @Test
  void autoWithoutDockerIsEmbeddedAndSaysWhy() {
    SourcePlan plan = SourcePlan.choose(ServerKind.KAFKA, Map.of("ORCA_TEST_SERVERS", "AUTO"), NO_DOCKER);
    assertThat(plan.candidates()).containsExactly(Source.EMBEDDED);
    assertThat(plan.passedOver()).containsExactly("Docker is not available");
  }

  @Test
  void blankVariablesCountAsUnset() {
    assertThat(SourcePlan.choose(ServerKind.KAFKA, Map.of("ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS", " "), NO_DOCKER).candidates())
        .containsExactly(Source.EMBEDDED);
  }

  @Test
  void overrideForcesOnePath() {
    assertThat(SourcePlan.choose(ServerKind.POSTGRESQL, Map.of("ORCA_TEST_SERVERS", "embedded"), MUST_NOT_PROBE).candidates())
        .containsExactly(Source.EMBEDDED);
    assertThat(SourcePlan.choose(ServerKind.POSTGRESQL, with(EXTERNAL_DB, "ORCA_TEST_SERVERS", "embedded"), MUST_NOT_PROBE)
        .candidates()).containsExactly(Source.EMBEDDED);
    assertThat(SourcePlan.choose(ServerKind.KAFKA, Map.of("ORCA_TEST_SERVERS", "testcontainers"), DOCKER).candidates())
        .containsExactly(Source.TESTCONTAINERS);
    assertThat(SourcePlan.choose(ServerKind.POSTGRESQL, with(EXTERNAL_DB, "ORCA_TEST_SERVERS", "external"), MUST_NOT_PROBE)
        .candidates()).containsExactly(Source.EXTERNAL);
  }

  @Test
  void forcedExternalWithoutVariablesSaysWhatToSet() {
    assertThatThrownBy(() -> SourcePlan.choose(ServerKind.POSTGRESQL, Map.of("ORCA_TEST_SERVERS", "external"), DOCKER))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("No PostgreSQL for integration tests: ORCA_TEST_SERVERS=external but ORCA_TEST_DB_URL, ORCA_TEST_DB_USER"
            + " are not set; set ORCA_TEST_DB_URL, ORCA_TEST_DB_USER and ORCA_TEST_DB_PASSWORD to use an existing server");
    assertThatThrownBy(() -> SourcePlan.choose(ServerKind.KAFKA, Map.of("ORCA_TEST_SERVERS", "external"), DOCKER))
        .hasMessage("No Kafka for integration tests: ORCA_TEST_SERVERS=external but ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS is not set;"
            + " set ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS to use an existing broker");
  }

  @Test
  void partlyNamedExternalServerFailsRatherThanSilentlyStartingAnother() {
    assertThatThrownBy(() -> SourcePlan.choose(ServerKind.POSTGRESQL, Map.of("ORCA_TEST_DB_URL", "postgresql://h:5432/d"), DOCKER))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ORCA_TEST_DB_USER is not set")
        .hasMessageContaining("or unset them all");
  }

  @Test
  void forcedTestcontainersWithoutDockerFails() {
    assertThatThrownBy(() -> SourcePlan.choose(ServerKind.KAFKA, Map.of("ORCA_TEST_SERVERS", "testcontainers"), NO_DOCKER))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("No Kafka for integration tests: ORCA_TEST_SERVERS=testcontainers but Docker is not available");
  }

  @Test
  void unknownOverrideIsRefused() {
    assertThatThrownBy(() -> SourcePlan.choose(ServerKind.KAFKA, Map.of("ORCA_TEST_SERVERS", "docker"), DOCKER))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ORCA_TEST_SERVERS=docker is not one of auto, external, testcontainers, embedded");
  }

  @Test
  void planListsAreImmutable() {
    SourcePlan plan = SourcePlan.choose(ServerKind.KAFKA, Map.of(), NO_DOCKER);
    assertThatThrownBy(() -> plan.candidates().add(Source.EXTERNAL)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(plan.candidates()).isEqualTo(List.of(Source.EMBEDDED));
  }

  private static Map<String, String> with(Map<String, String> env, String key, String value) {
    var copy = new java.util.HashMap<>(env);
    copy.put(key, value);
    return copy;
  }
}

package dev.orca.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalStackConfigTest {
  private static final Path REPO = Path.of("/src/orca");

  @Test
  void defaultsRunEverythingEmbeddedUnderDotOrca() {
    LocalStackConfig c = LocalStackConfig.fromEnv(Map.of(), REPO);

    assertThat(c.home()).isEqualTo(REPO.resolve(".orca"));
    assertThat(c.logDir()).isEqualTo(REPO.resolve(".orca/logs"));
    assertThat(c.postgresPort()).isEqualTo(15432);
    assertThat(c.kafkaPort()).isEqualTo(19092);
    assertThat(c.externalDbUrl()).isNull();
    assertThat(c.externalKafka()).isNull();
    assertThat(c.dbUrl()).isEqualTo("postgresql://localhost:15432/orca");
    assertThat(c.dbUser()).isEqualTo("orca");
    assertThat(c.dbPassword()).isEqualTo("orca");
    assertThat(c.kafkaBootstrapServers()).isEqualTo("localhost:19092");
    assertThat(c.services()).extracting(ServiceSpec::name, ServiceSpec::port)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("orchestrator", 8080),
            org.assertj.core.groups.Tuple.tuple("mcp-gateway", 8081),
            org.assertj.core.groups.Tuple.tuple("event-ingest", 8082));
    assertThat(c.services().get(0).jar(REPO)).isEqualTo(REPO.resolve("orchestrator/target/orchestrator.jar"));
    assertThat(c.startTimeout()).isEqualTo(Duration.ofSeconds(180));
    assertThat(c.serviceJavaOptions()).containsExactly("-Xmx384m");
  }

  @Test
  void environmentOverridesEveryDefault() {
    LocalStackConfig c = LocalStackConfig.fromEnv(Map.ofEntries(
        Map.entry("ORCA_HOME", "/var/tmp/orca-home"),
        Map.entry("ORCA_LOCAL_PG_PORT", "25432"),
        Map.entry("ORCA_LOCAL_KAFKA_PORT", " 29092 "),
        Map.entry("ORCA_ORCHESTRATOR_PORT", "9080"),
        Map.entry("ORCA_GATEWAY_PORT", "9081"),
        Map.entry("ORCA_INGEST_PORT", "9082"),
        Map.entry("ORCA_START_TIMEOUT_SECONDS", "30"),
        Map.entry("ORCA_LOCAL_JAVA_OPTS", " -Xmx256m  -XX:TieredStopAtLevel=1 ")), REPO);

    assertThat(c.home()).isEqualTo(Path.of("/var/tmp/orca-home"));
    assertThat(c.dbUrl()).isEqualTo("postgresql://localhost:25432/orca");
    assertThat(c.kafkaBootstrapServers()).isEqualTo("localhost:29092");
    assertThat(c.services()).extracting(ServiceSpec::port).containsExactly(9080, 9081, 9082);
    assertThat(c.services()).extracting(ServiceSpec::url)
        .containsExactly("http://localhost:9080", "http://localhost:9081", "http://localhost:9082");
    assertThat(c.startTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.serviceJavaOptions()).containsExactly("-Xmx256m", "-XX:TieredStopAtLevel=1");
  }

  @Test
  void relativeHomeIsResolvedAgainstTheRepository() {
    assertThat(LocalStackConfig.fromEnv(Map.of("ORCA_HOME", "tmp/home"), REPO).home()).isEqualTo(REPO.resolve("tmp/home"));
  }

  @Test
  void externalServersReplaceTheEmbeddedOnes() {
    LocalStackConfig c = LocalStackConfig.fromEnv(Map.of(
        "ORCA_DB_URL", "jdbc:postgresql://db.internal:5432/orca",
        "ORCA_DB_USER", "svc",
        "ORCA_DB_PASSWORD", "secret",
        "ORCA_KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092"), REPO);

    assertThat(c.externalDbUrl()).isEqualTo("postgresql://db.internal:5432/orca");
    assertThat(c.dbUrl()).isEqualTo("postgresql://db.internal:5432/orca");
    assertThat(c.dbUser()).isEqualTo("svc");
    assertThat(c.dbPassword()).isEqualTo("secret");
    assertThat(c.externalKafka()).isEqualTo("k1:9092,k2:9092");
    assertThat(c.kafkaBootstrapServers()).isEqualTo("k1:9092,k2:9092");
  }

  @Test
  void blankValuesMeanUnset() {
    LocalStackConfig c = LocalStackConfig.fromEnv(Map.of("ORCA_DB_URL", " ", "ORCA_LOCAL_PG_PORT", ""), REPO);
    assertThat(c.externalDbUrl()).isNull();
    assertThat(c.postgresPort()).isEqualTo(15432);
  }

  @Test
  void databaseUrlsAreAcceptedWithOrWithoutDriverPrefix() {
    assertThat(LocalStackConfig.normalizeDbUrl("postgresql://h:1/d")).isEqualTo("postgresql://h:1/d");
    assertThat(LocalStackConfig.normalizeDbUrl("r2dbc:postgresql://h:1/d")).isEqualTo("postgresql://h:1/d");
    assertThat(LocalStackConfig.normalizeDbUrl("postgres://h:1/d")).isEqualTo("postgresql://h:1/d");
  }

  @Test
  void badValuesNameTheVariableToFix() {
    assertThatThrownBy(() -> LocalStackConfig.fromEnv(Map.of("ORCA_LOCAL_PG_PORT", "abc"), REPO))
        .isInstanceOf(LaunchException.class)
        .hasMessage("ORCA_LOCAL_PG_PORT must be a positive whole number, not 'abc'");
    assertThatThrownBy(() -> LocalStackConfig.fromEnv(Map.of("ORCA_GATEWAY_PORT", "70000"), REPO))
        .isInstanceOf(LaunchException.class)
        .hasMessageStartingWith("ORCA_GATEWAY_PORT must be a port number");
    assertThatThrownBy(() -> LocalStackConfig.fromEnv(Map.of("ORCA_START_TIMEOUT_SECONDS", "0"), REPO))
        .isInstanceOf(LaunchException.class)
        .hasMessageContaining("ORCA_START_TIMEOUT_SECONDS");
    assertThatThrownBy(() -> LocalStackConfig.fromEnv(Map.of("ORCA_DB_URL", "mysql://h/d"), REPO))
        .isInstanceOf(LaunchException.class)
        .hasMessageStartingWith("ORCA_DB_URL must look like postgresql://host:port/database");
  }
}

package dev.orca.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything the launcher reads from the environment. {@code externalDbUrl} and {@code externalKafka} are null when the
 * embedded servers should be started.
 */
record LocalStackConfig(
    Path repoRoot,
    Path home,
    int postgresPort,
    int kafkaPort,
    String externalDbUrl,
    String dbUser,
    String dbPassword,
    String externalKafka,
    List<ServiceSpec> services,
    Duration startTimeout,
    List<String> serviceJavaOptions) {

  static final String DEFAULT_JAVA_OPTIONS = "-Xmx384m";

  static LocalStackConfig fromEnv(Map<String, String> env, Path repoRoot) {
    Path root = repoRoot.toAbsolutePath().normalize();
    String home = blankToNull(env.get("ORCA_HOME"));
    String dbUrl = blankToNull(env.get("ORCA_DB_URL"));
    return new LocalStackConfig(
        root,
        home == null ? root.resolve(".orca") : root.resolve(home).toAbsolutePath().normalize(),
        port(env, "ORCA_LOCAL_PG_PORT", 15432),
        port(env, "ORCA_LOCAL_KAFKA_PORT", 19092),
        dbUrl == null ? null : normalizeDbUrl(dbUrl),
        orDefault(env.get("ORCA_DB_USER"), "orca"),
        orDefault(env.get("ORCA_DB_PASSWORD"), "orca"),
        blankToNull(env.get("ORCA_KAFKA_BOOTSTRAP_SERVERS")),
        List.of(
            new ServiceSpec("orchestrator", port(env, "ORCA_ORCHESTRATOR_PORT", 8080), "ORCA_ORCHESTRATOR_PORT"),
            new ServiceSpec("mcp-gateway", port(env, "ORCA_GATEWAY_PORT", 8081), "ORCA_GATEWAY_PORT"),
            new ServiceSpec("event-ingest", port(env, "ORCA_INGEST_PORT", 8082), "ORCA_INGEST_PORT")),
        Duration.ofSeconds(positive(env, "ORCA_START_TIMEOUT_SECONDS", 180)),
        List.of(orDefault(env.get("ORCA_LOCAL_JAVA_OPTS"), DEFAULT_JAVA_OPTIONS).trim().split("\\s+")));
  }

  /** The database URL handed to the services, without a {@code jdbc:}/{@code r2dbc:} prefix. */
  String dbUrl() {
    return externalDbUrl != null ? externalDbUrl : "postgresql://localhost:" + postgresPort + "/orca";
  }

  String kafkaBootstrapServers() {
    return externalKafka != null ? externalKafka : "localhost:" + kafkaPort;
  }

  Path logDir() {
    return home.resolve("logs");
  }

  /** Accepts {@code postgresql://…}, {@code jdbc:postgresql://…} or {@code r2dbc:postgresql://…}; returns the first form. */
  static String normalizeDbUrl(String url) {
    String u = url.trim();
    for (String prefix : List.of("jdbc:", "r2dbc:")) {
      if (u.startsWith(prefix)) {
        u = u.substring(prefix.length());
      }
    }
    if (u.startsWith("postgres://")) {
      u = "postgresql://" + u.substring("postgres://".length());
    }
    if (!u.startsWith("postgresql://")) {
      throw new LaunchException("ORCA_DB_URL must look like postgresql://host:port/database, not '" + url + "'");
    }
    return u;
  }

  private static int port(Map<String, String> env, String name, int fallback) {
    int port = positive(env, name, fallback);
    if (port > 65535) {
      throw new LaunchException(name + " must be a port number (1-65535), not '" + env.get(name) + "'");
    }
    return port;
  }

  private static int positive(Map<String, String> env, String name, int fallback) {
    String value = blankToNull(env.get(name));
    if (value == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new LaunchException(name + " must be a positive whole number, not '" + value + "'");
  }

  private static String orDefault(String value, String fallback) {
    String v = blankToNull(value);
    return v == null ? fallback : v;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}

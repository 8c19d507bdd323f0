package dev.orca.testsupport;

import java.util.List;

/** The two servers integration tests need, with the environment variables that name an existing one. */
enum ServerKind {
  POSTGRESQL(
      "PostgreSQL",
      List.of("ORCA_TEST_DB_URL", "ORCA_TEST_DB_USER", "ORCA_TEST_DB_PASSWORD"),
      List.of("ORCA_TEST_DB_URL", "ORCA_TEST_DB_USER"),
      "an existing server"),
  KAFKA(
      "Kafka",
      List.of("ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS"),
      List.of("ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS"),
      "an existing broker");

  /** The environment variable that forces one path for every server: auto, external, testcontainers, embedded. */
  static final String SERVERS_VARIABLE = "ORCA_TEST_SERVERS";

  private final String displayName;
  private final List<String> variables;
  private final List<String> requiredVariables;
  private final String existing;

  ServerKind(String displayName, List<String> variables, List<String> requiredVariables, String existing) {
    this.displayName = displayName;
    this.variables = variables;
    this.requiredVariables = requiredVariables;
    this.existing = existing;
  }

  String displayName() {
    return displayName;
  }

  /** Every variable that describes an external server; setting any of them selects the external path. */
  List<String> variables() {
    return variables;
  }

  /** The variables an external server cannot do without (a PostgreSQL password may be empty). */
  List<String> requiredVariables() {
    return requiredVariables;
  }

  /** What to set to use an existing server instead. */
  String externalHint() {
    return "set " + joinVariables(variables) + " to use " + existing;
  }

  private static String joinVariables(List<String> names) {
    if (names.size() == 1) {
      return names.get(0);
    }
    return String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
  }
}

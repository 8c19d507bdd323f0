package dev.orca.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad configuration ends before anything starts, with one line saying what to change. */
class LocalStackPreflightTest {
  @TempDir Path repo;
  private final ByteArrayOutputStream console = new ByteArrayOutputStream();

  @Test
  void missingServiceJarsSayToBuildFirst() {
    assertThatThrownBy(() -> start(Map.of()))
        .isInstanceOf(LaunchException.class)
        .hasMessageContaining("orchestrator/target/orchestrator.jar")
        .hasMessageContaining("event-ingest/target/event-ingest.jar")
        .hasMessageContaining("run ./mvnw -DskipTests package first")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void takenPostgresPortNamesItsVariable() throws IOException {
    fakeJars();
    try (ServerSocket taken = listen()) {
      Map<String, String> env = freePorts();
      env.put("ORCA_LOCAL_PG_PORT", Integer.toString(taken.getLocalPort()));
      assertThatThrownBy(() -> start(env))
          .isInstanceOf(LaunchException.class)
          .hasMessage("Port " + taken.getLocalPort() + " for the embedded PostgreSQL is already in use: "
              + "stop what listens there or set ORCA_LOCAL_PG_PORT to a free port");
    }
    assertThat(console.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void takenServicePortNamesItsVariable() throws IOException {
    fakeJars();
    try (ServerSocket taken = listen()) {
      Map<String, String> env = freePorts();
      env.put("ORCA_INGEST_PORT", Integer.toString(taken.getLocalPort()));
      assertThatThrownBy(() -> start(env))
          .isInstanceOf(LaunchException.class)
          .hasMessageContaining("for event-ingest is already in use")
          .hasMessageContaining("set ORCA_INGEST_PORT");
    }
  }

  @Test
  void unreachableExternalDatabaseSaysWhichVariableToFix() throws IOException {
    fakeJars();
    Map<String, String> env = freePorts();
    env.put("ORCA_DB_URL", "postgresql://localhost:" + Ports.freePort() + "/orca");
    assertThatThrownBy(() -> start(env))
        .isInstanceOf(LaunchException.class)
        .hasMessageStartingWith("Cannot use the PostgreSQL named by ORCA_DB_URL (" + env.get("ORCA_DB_URL") + ")")
        .hasMessageEndingWith("unset ORCA_DB_URL to use the embedded one")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void unreachableExternalKafkaSaysWhichVariableToFix() throws IOException {
    fakeJars();
    Map<String, String> env = freePorts();
    env.put("ORCA_KAFKA_BOOTSTRAP_SERVERS", "localhost:" + Ports.freePort());
    assertThatThrownBy(() -> start(env))
        .isInstanceOf(LaunchException.class)
        .hasMessageStartingWith("Cannot reach the Kafka named by ORCA_KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void servicesLeftByAKilledLauncherAreNamed() throws IOException {
    fakeJars();
    long pid = ProcessHandle.current().pid(); // a live java -jar process standing in for an orphaned service
    Files.createDirectories(repo.resolve(".orca"));
    Files.writeString(repo.resolve(".orca/services.pids"), "orchestrator " + pid + "\n");
    assertThatThrownBy(() -> start(freePorts()))
        .isInstanceOf(LaunchException.class)
        .hasMessage("Services from an earlier run are still running (orchestrator " + pid + "): stop them with 'kill "
            + pid + "' and start again");
  }

  @Test
  void postgresLeftByAKilledLauncherIsNamed() throws IOException {
    fakeJars();
    long pid = ProcessHandle.current().pid();
    Files.createDirectories(repo.resolve(".orca/postgres"));
    Files.writeString(repo.resolve(".orca/postgres/postmaster.pid"), pid + "\n/some/dir\n");
    assertThatThrownBy(() -> start(freePorts()))
        .isInstanceOf(LaunchException.class)
        .hasMessageStartingWith("A PostgreSQL from an earlier run still uses ")
        .hasMessageEndingWith("(pid " + pid + "): stop it with 'kill " + pid + "' and start again");
  }

  private LocalStack start(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("ORCA_HOME", repo.resolve(".orca").toString());
    return LocalStack.start(LocalStackConfig.fromEnv(all, repo), new PrintStream(console, true, StandardCharsets.UTF_8), () -> {});
  }

  private void fakeJars() throws IOException {
    for (String module : new String[] {"orchestrator", "mcp-gateway", "event-ingest"}) {
      Path jar = repo.resolve(module).resolve("target").resolve(module + ".jar");
      Files.createDirectories(jar.getParent());
      Files.writeString(jar, "");
    }
  }

  private static Map<String, String> freePorts() {
    Map<String, String> env = new HashMap<>();
    for (String variable : new String[] {"ORCA_LOCAL_PG_PORT", "ORCA_LOCAL_KAFKA_PORT", "ORCA_ORCHESTRATOR_PORT",
        "ORCA_GATEWAY_PORT", "ORCA_INGEST_PORT"}) {
      env.put(variable, Integer.toString(Ports.freePort()));
    }
    return env;
  }

  private static ServerSocket listen() throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.bind(new InetSocketAddress("127.0.0.1", 0));
    return socket;
  }
}

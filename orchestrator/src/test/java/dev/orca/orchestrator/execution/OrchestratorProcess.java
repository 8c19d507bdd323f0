package dev.orca.orchestrator.execution;

import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.OrchestratorApplication;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestKafka;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A second orchestrator replica in its own JVM, on the same database, that a test can kill -9. */
public final class OrchestratorProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final int port;

  private OrchestratorProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  public static OrchestratorProcess start(TestDatabase db, String gatewayUrl, String owner, String... extraArgs) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"),
        OrchestratorApplication.class.getName(),
        "--server.port=" + port,
        "--orca.db.url=" + db.url(),
        "--orca.db.user=" + db.username(),
        "--orca.db.password=" + db.password(),
        "--orca.kafka.bootstrap-servers=" + TestKafka.get().bootstrapServers(),
        "--orca.gateway.url=" + gatewayUrl,
        "--orca.engine.owner=" + owner,
        "--orca.api.tokens=" + OrcaApiClient.TOKEN));
    command.addAll(List.of(extraArgs));
    Path log = Files.createTempFile("orchestrator-" + owner, ".log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    OrchestratorProcess started = new OrchestratorProcess(process, log, port);
    HttpClient http = HttpClient.newHttpClient();
    URI readiness = URI.create("http://localhost:" + port + "/actuator/health/readiness");
    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("replica " + owner + " exited: " + Files.readString(log));
      }
      try {
        return http.send(HttpRequest.newBuilder(readiness).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
      } catch (IOException notYet) {
        return false;
      }
    });
    return started;
  }

  /** kill -9: no shutdown hook, no lease given back, in-flight calls cut. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** This replica's API (its engine runs what it starts, while it has room). */
  OrcaApiClient api() {
    return new OrcaApiClient(port);
  }

  String metrics() throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/prometheus")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  public File log() {
    return log.toFile();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}

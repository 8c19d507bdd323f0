package dev.orca.local;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One service as a child JVM, its output in {@code <home>/logs/<name>.log}. */
final class ServiceProcess {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).version(HttpClient.Version.HTTP_1_1).build();

  private final ServiceSpec spec;
  private final Path log;
  private final Process process;

  private ServiceProcess(ServiceSpec spec, Path log, Process process) {
    this.spec = spec;
    this.log = log;
    this.process = process;
  }

  /** {@code githubSecretFile}: event-ingest's GitHub webhook secret, or null when the environment sets it. */
  static ServiceProcess start(ServiceSpec spec, LocalStackConfig config, LocalApiToken token, Path githubSecretFile) {
    Path log = config.logDir().resolve(spec.name() + ".log");
    List<String> command = new ArrayList<>();
    command.add(javaBinary());
    command.addAll(config.serviceJavaOptions());
    command.add("-jar");
    command.add(spec.jar(config.repoRoot()).toString());
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(config.repoRoot().toFile())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    Map<String, String> env = pb.environment();
    env.put("SERVER_PORT", Integer.toString(spec.port()));
    env.put("ORCA_DB_URL", config.dbUrl());
    env.put("ORCA_DB_USER", config.dbUser());
    env.put("ORCA_DB_PASSWORD", config.dbPassword());
    env.put("ORCA_KAFKA_BOOTSTRAP_SERVERS", config.kafkaBootstrapServers());
    env.put("ORCA_GATEWAY_URL", gatewayUrl(config));
    env.put("ORCA_API_TOKENS", token.tokens());
    // The orchestrator calls the gateway with the same token.
    env.putIfAbsent("ORCA_GATEWAY_TOKEN", token.tokens().split(",")[0].strip());
    env.put("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED", "true");
    if (githubSecretFile != null) {
      env.put("ORCA_INGEST_GITHUB_SECRET_FILES", githubSecretFile.toString());
    }
    try {
      Files.createDirectories(log.getParent());
      if (Files.exists(log)) {
        Files.move(log, log.resolveSibling(spec.name() + ".previous.log"), StandardCopyOption.REPLACE_EXISTING);
      }
      pb.redirectOutput(log.toFile());
      return new ServiceProcess(spec, log, pb.start());
    } catch (IOException e) {
      throw new LaunchException("Could not start " + spec.name() + ": " + LocalPostgres.oneLine(e), e);
    }
  }

  /** The gateway's MCP endpoint, which the orchestrator's tool steps call. */
  static String gatewayUrl(LocalStackConfig config) {
    return config.services().stream()
        .filter(s -> s.name().equals("mcp-gateway"))
        .findFirst()
        .map(s -> s.url() + "/mcp")
        .orElse("");
  }

  /** The launcher's own java, so children run on the same JDK whatever PATH says. */
  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static java.io.File nullDevice() {
    return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  /** True when {@code GET /actuator/health/readiness} answers 200 with status UP. */
  boolean isReady() {
    HttpRequest request = HttpRequest.newBuilder(URI.create(spec.url() + "/actuator/health/readiness"))
        .timeout(Duration.ofSeconds(2))
        .GET()
        .build();
    try {
      HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && response.body().contains("\"UP\"");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  int exitCode() {
    return process.exitValue();
  }

  Process process() {
    return process;
  }

  ServiceSpec spec() {
    return spec;
  }

  Path log() {
    return log;
  }

  /** Asks the JVM to stop (SIGTERM, so Spring shuts down gracefully). */
  void requestStop() {
    process.destroy();
  }

  /** Waits up to {@code grace} after {@link #requestStop}, then kills; returns the exit code. */
  int awaitStop(Duration grace) throws InterruptedException {
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    return process.isAlive() ? -1 : process.exitValue();
  }

  /** The last {@code n} lines of the service's log, for a failure message. */
  List<String> tail(int n) {
    try {
      List<String> lines = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
      return lines.subList(Math.max(0, lines.size() - n), lines.size());
    } catch (IOException | RuntimeException e) {
      return List.of("(log " + log + " unreadable: " + e.getMessage() + ")");
    }
  }
}

package dev.orca.local;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Starts PostgreSQL and Kafka (embedded unless external ones are configured), then the three services, waits until
 * each is ready and prints where everything listens. {@link #close()} stops it all in reverse order; {@link #main} does
 * so on Ctrl-C, or when a service dies.
 */
public final class LocalStack implements AutoCloseable {
  private static final Duration POLL = Duration.ofMillis(250);
  private static final Duration STOP_GRACE = Duration.ofSeconds(15);
  private static final int TAIL_LINES = 15;

  private final LocalStackConfig config;
  private final PrintStream out;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final List<ServiceProcess> services = new ArrayList<>();
  private LocalPostgres postgres;
  private LocalKafka kafka;
  private boolean stopping;
  /** Released when the stop begins, so waits can end early. */
  private final CountDownLatch stopBegun = new CountDownLatch(1);

  private LocalStack(LocalStackConfig config, PrintStream out) {
    this.config = config;
    this.out = out;
  }

  public static void main(String[] args) {
    long begin = System.nanoTime();
    Path repoRoot = Path.of(args.length > 0 ? args[0] : "");
    LocalStack stack = null;
    try {
      LocalStackConfig config = LocalStackConfig.fromEnv(System.getenv(), repoRoot);
      stack = new LocalStack(config, System.out);
      LocalStack s = stack;
      Runtime.getRuntime().addShutdownHook(new Thread(s::close, "orca-local-stop"));
      StopSignals.onStop(() -> {
        s.close();
        System.exit(0);
      });
      stack.run(() -> System.exit(1));
      stack.out.printf(Locale.ROOT, "Orca is up in %.1f s. Ctrl-C stops everything.%n", (System.nanoTime() - begin) / 1e9);
      stack.stopped.await();
    } catch (LaunchException e) {
      if (stack == null || !stack.isStopping()) { // a Ctrl-C during start-up needs no explanation
        System.err.println("orca-local: " + e.getMessage());
      }
      if (stack != null) {
        stack.close(); // before exit: the embedded Kafka's own exit hooks would delete its files while it closes
      }
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts everything and returns once all three services are ready; on failure stops what had started and throws a
   * {@link LaunchException} saying why. {@code onUnexpectedExit} runs if a service dies after start-up (the stack is
   * already stopped then).
   */
  static LocalStack start(LocalStackConfig config, PrintStream out, Runnable onUnexpectedExit) {
    LocalStack stack = new LocalStack(config, out);
    try {
      stack.run(onUnexpectedExit);
      return stack;
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  private void run(Runnable onUnexpectedExit) {
    preflight();
    List<String> embedded = new ArrayList<>();
    if (config.externalDbUrl() == null) {
      embedded.add("PostgreSQL");
    }
    if (config.externalKafka() == null) {
      embedded.add("Kafka");
    }
    if (!embedded.isEmpty()) {
      out.println("Starting embedded " + String.join(" and ", embedded) + " (home " + display(config.home()) + ")…");
    }
    startInfrastructure();
    apiToken = LocalApiToken.resolve(System.getenv("ORCA_API_TOKENS"), config.home());
    githubSecretFile = LocalWebhookSecret.githubFile(System.getenv(), config.home());
    for (ServiceSpec spec : config.services()) {
      ServiceProcess service = ServiceProcess.start(spec, config, apiToken, githubSecretFile);
      synchronized (this) {
        services.add(service);
        if (stopping) {
          throw new LaunchException("stopped while starting");
        }
      }
    }
    LeftoverProcesses.record(config.home(), services);
    out.println("Starting " + config.services().stream().map(ServiceSpec::name).collect(Collectors.joining(", "))
        + " (logs in " + display(config.logDir()) + ")…");
    awaitReady();
    for (ServiceProcess service : services) {
      service.process().onExit().thenRun(() -> unexpectedExit(service, onUnexpectedExit));
    }
    printWhereEverythingListens();
  }

  /** Everything that can be checked before starting anything, each failure one line saying what to change. */
  private void preflight() {
    List<String> missing = config.services().stream()
        .map(s -> s.jar(config.repoRoot()))
        .filter(jar -> !Files.isRegularFile(jar))
        .map(this::display)
        .toList();
    if (!missing.isEmpty()) {
      throw new LaunchException("Missing " + String.join(", ", missing)
          + ": run ./mvnw -DskipTests package first (or deploy/local/run, which builds)");
    }
    try {
      Files.createDirectories(config.logDir());
      Files.writeString(config.home().resolve(".write-test"), "");
      Files.delete(config.home().resolve(".write-test"));
    } catch (IOException e) {
      throw new LaunchException("Cannot write to " + config.home() + " (" + LocalPostgres.oneLine(e)
          + "): set ORCA_HOME to a writable directory");
    }
    LeftoverProcesses.requireNone(config.home());
    if (config.externalDbUrl() == null) {
      LocalPostgres.requireNoEarlierServer(config.home());
      Ports.requireFree(config.postgresPort(), "the embedded PostgreSQL", "ORCA_LOCAL_PG_PORT");
    }
    if (config.externalKafka() == null) {
      Ports.requireFree(config.kafkaPort(), "the embedded Kafka", "ORCA_LOCAL_KAFKA_PORT");
    }
    for (ServiceSpec spec : config.services()) {
      Ports.requireFree(spec.port(), spec.name(), spec.portVariable());
    }
    if (config.externalDbUrl() != null) {
      LocalPostgres.requireReachable(config.externalDbUrl(), config.dbUser(), config.dbPassword());
    }
    if (config.externalKafka() != null) {
      LocalKafka.requireReachable(config.externalKafka());
    }
  }

  /** PostgreSQL and Kafka start side by side; each takes a few seconds. */
  private void startInfrastructure() {
    CompletableFuture<Void> pg = config.externalDbUrl() != null
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.runAsync(() -> {
          LocalPostgres started =
              LocalPostgres.start(config.home(), config.postgresPort(), config.dbUser(), config.dbPassword());
          synchronized (this) {
            postgres = started;
          }
        });
    CompletableFuture<Void> broker = config.externalKafka() != null
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.runAsync(() -> {
          LocalKafka started = LocalKafka.start(config.kafkaPort(), config.logDir().resolve("kafka.log"));
          synchronized (this) {
            kafka = started;
          }
        });
    try {
      CompletableFuture.allOf(pg, broker).join();
    } catch (CompletionException e) {
      awaitQuietly(pg);
      awaitQuietly(broker);
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw e;
    }
    synchronized (this) {
      if (stopping) {
        throw new LaunchException("stopped while starting");
      }
    }
  }

  private static void awaitQuietly(CompletableFuture<Void> f) {
    try {
      f.join();
    } catch (RuntimeException ignored) {
      // the first failure is reported
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + config.startTimeout().toNanos();
    List<ServiceProcess> waiting = new ArrayList<>(services);
    while (!waiting.isEmpty()) {
      for (ServiceProcess service : List.copyOf(waiting)) {
        synchronized (this) {
          if (stopping) {
            throw new LaunchException("stopped while starting");
          }
        }
        if (!service.isAlive()) {
          throw new LaunchException(failure(service, "exited with code " + service.exitCode() + " during start-up"));
        }
        if (service.isReady()) {
          out.println("  " + service.spec().name() + " is ready");
          waiting.remove(service);
        }
      }
      if (waiting.isEmpty()) {
        break;
      }
      if (System.nanoTime() > deadline) {
        ServiceProcess late = waiting.get(0);
        throw new LaunchException(failure(late, "was not ready after " + config.startTimeout().toSeconds()
            + " s (GET " + late.spec().url() + "/actuator/health/readiness; raise ORCA_START_TIMEOUT_SECONDS if the machine is slow)"));
      }
      // Wait a poll interval, or less if that service exits meanwhile (checked at the top of the loop).
      waitForExit(waiting.get(0), POLL);
    }
  }

  private String failure(ServiceProcess service, String what) {
    return service.spec().name() + " " + what + "; last lines of " + display(service.log()) + ":\n    "
        + String.join("\n    ", service.tail(TAIL_LINES));
  }

  private void unexpectedExit(ServiceProcess service, Runnable onUnexpectedExit) {
    // Ctrl-C in a terminal reaches the children too; give the launcher's own shutdown a moment to begin.
    try {
      stopBegun.await(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (stopping) {
        return;
      }
    }
    System.err.println("orca-local: " + failure(service, "exited unexpectedly with code " + service.exitCode()));
    System.err.println("orca-local: stopping everything");
    close();
    onUnexpectedExit.run();
  }

  private volatile LocalApiToken apiToken;
  private volatile Path githubSecretFile;

  private void printWhereEverythingListens() {
    String pgNote = config.externalDbUrl() != null ? "external"
        : "embedded, data in " + display(config.home().resolve("postgres")) + ", log " + display(config.logDir().resolve("postgres.log"));
    String kafkaNote = config.externalKafka() != null ? "external" : "embedded";
    out.println();
    out.printf("  %-13s %s  (user %s; %s)%n", "PostgreSQL", config.dbUrl(), config.dbUser(), pgNote);
    out.printf("  %-13s %s  (%s)%n", "Kafka", config.kafkaBootstrapServers(), kafkaNote);
    for (ServiceProcess service : services) {
      String url = service.spec().url();
      out.printf("  %-13s %s%n", service.spec().name(), url);
      out.printf("  %-13s   health      %s/actuator/health%n", "", url);
      out.printf("  %-13s   prometheus  %s/actuator/prometheus%n", "", url);
      out.printf("  %-13s   log         %s%n", "", display(service.log()));
    }
    out.printf("  %-13s %s%n", "API token", apiToken.fromEnvironment()
        ? "from ORCA_API_TOKENS"
        : apiToken.shown() + "  (kept in " + display(config.home().resolve("api-token")) + ")");
    if (!apiToken.fromEnvironment()) {
      out.printf("  %-13s curl -H \"Authorization: Bearer $(cat %s)\" %s/api/v1/workflows%n", "try",
          display(config.home().resolve("api-token")), services.get(0).spec().url());
    }
    out.printf("  %-13s %s%n", "GitHub secret", githubSecretFile == null
        ? "from ORCA_INGEST_GITHUB_SECRETS / ORCA_INGEST_GITHUB_SECRET_FILES"
        : "kept in " + display(githubSecretFile) + "; deploy/local/send-github-webhook sends a signed sample");
    out.println();
  }

  /** Stops the services (SIGTERM, then kill after 15 s), then Kafka, then PostgreSQL; safe to call more than once. */
  @Override
  public void close() {
    List<ServiceProcess> toStop;
    LocalKafka k;
    LocalPostgres pg;
    synchronized (this) {
      if (stopping) {
        awaitStopped();
        return;
      }
      stopping = true;
      stopBegun.countDown();
      toStop = List.copyOf(services);
      k = kafka;
      pg = postgres;
    }
    try {
      toStop.forEach(ServiceProcess::requestStop);
      for (ServiceProcess service : toStop) {
        int code = service.awaitStop(STOP_GRACE);
        out.println("Stopped " + service.spec().name() + (code == -1 ? " (still running after kill!)" : " (exit " + code + ")"));
      }
      if (!toStop.isEmpty()) {
        LeftoverProcesses.clear(config.home());
      }
      if (k != null) {
        try {
          k.close();
          out.println("Stopped Kafka");
        } catch (RuntimeException e) {
          out.println("Kafka did not stop cleanly: " + LocalPostgres.oneLine(e));
        }
      }
      if (pg != null) {
        try {
          pg.close();
          out.println("Stopped PostgreSQL");
        } catch (IOException | RuntimeException e) {
          out.println("PostgreSQL did not stop cleanly: " + LocalPostgres.oneLine(e));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      stopped.countDown();
    }
  }

  private synchronized boolean isStopping() {
    return stopping;
  }

  private void awaitStopped() {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A path relative to the repository root when it lies inside it, for shorter lines. */
  private String display(Path path) {
    Path p = path.toAbsolutePath().normalize();
    return p.startsWith(config.repoRoot()) ? config.repoRoot().relativize(p).toString() : p.toString();
  }

  private static void waitForExit(ServiceProcess service, Duration atMost) {
    try {
      service.process().waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LaunchException("interrupted while starting");
    }
  }
}

package dev.orca.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A single-node KRaft broker in its own JVM, for fault tests that stop Kafka and start it again: it
 * keeps its port and its log directory across {@link #stop()} and {@link #start()}, as a real broker
 * restart does, so records acknowledged before the stop are still there afterwards. Unlike
 * {@link TestKafka}'s shared broker, each instance belongs to one test class.
 *
 * <pre>{@code
 * static final StoppableKafka kafka = StoppableKafka.create();   // started
 * kafka.stop();   // SIGTERM, controlled shutdown; clients see the broker go away
 * kafka.start();  // same port, same data
 * }</pre>
 *
 * The broker runs {@code kafka.Kafka} from this JVM's classpath (spring-kafka-test brings the broker).
 */
public final class StoppableKafka implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Path dir;
  private final Path config;
  private final int port;
  private Process process;

  private StoppableKafka(Path dir, int port, int controllerPort) throws IOException {
    this.dir = dir;
    this.port = port;
    this.config = dir.resolve("server.properties");
    Files.writeString(config, String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dir.resolve("logs"),
        "num.partitions=1",
        "auto.create.topics.enable=true",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "group.initial.rebalance.delay.ms=0",
        "controlled.shutdown.enable=true",
        ""));
  }

  /** Formats a fresh log directory on free ports and starts the broker; throws saying why if it cannot. */
  public static StoppableKafka create() {
    try {
      Path dir = Files.createTempDirectory("orca-stoppable-kafka");
      StoppableKafka kafka = new StoppableKafka(dir, freePort(), freePort());
      kafka.run("format", List.of("kafka.tools.StorageTool", "format", "-t", randomClusterId(), "-c", kafka.config.toString()))
          .waitFor(60, TimeUnit.SECONDS);
      kafka.start();
      return kafka;
    } catch (IOException e) {
      throw new UncheckedIOException("Could not prepare a stoppable Kafka broker", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** {@code 127.0.0.1:<port>}; the same before and after a restart. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Starts the broker (again) and waits until it answers. */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      process = run("broker", List.of("kafka.Kafka", config.toString()));
      long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
      while (true) {
        try {
          KafkaProbe.clusterId(bootstrapServers());
          return;
        } catch (Exception e) {
          if (!process.isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("The stoppable Kafka broker did not come up on " + bootstrapServers()
                + "; see " + dir.resolve("broker.log"), e);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the stoppable Kafka broker", e);
    }
  }

  /** Stops the broker (SIGTERM: a controlled shutdown) and waits until its process is gone. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    process = null;
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }

  private Process run(String name, List<String> mainAndArgs) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.addAll(mainAndArgs);
    Path log = dir.resolve(name + ".log");
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** A KRaft cluster id: 16 random bytes, URL-safe base64 without padding. */
  private static String randomClusterId() {
    UUID uuid = UUID.randomUUID();
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(16);
    bytes.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
  }
}

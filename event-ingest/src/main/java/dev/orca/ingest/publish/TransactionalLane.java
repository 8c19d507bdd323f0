package dev.orca.ingest.publish;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * A transactional Kafka producer on its own thread: each batch of records is one Kafka transaction,
 * committed or not at all. When a send or commit fails or times out, the producer is thrown away and a
 * new one with the same {@code transactional.id} is started, which fences the old one and aborts its
 * open transaction, so a record the broker wrote but never acknowledged is not visible to
 * {@code read_committed} consumers (the orchestrator reads so) when the relay sends it again.
 * Transactions on one lane run one after the other; the blocking producer calls stay on the lane's thread.
 */
final class TransactionalLane implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TransactionalLane.class);
  private static final long REINIT_DELAY_MS = 2_000;
  /** Well under the producer's buffer.memory (32 MiB), so sending a merged transaction does not block on it. */
  private static final long MAX_TRANSACTION_BYTES = 8L * 1024 * 1024;

  private final String name;
  private final Map<String, Object> config = new HashMap<>();
  private final ScheduledExecutorService thread;
  private final Duration timeout;
  private final BooleanSupplier skip;
  private final Queue<Waiting> waiting = new ConcurrentLinkedQueue<>();
  private KafkaProducer<String, byte[]> producer; // only touched on the lane's thread
  private boolean reinitScheduled;
  private volatile RuntimeException lastFailure;

  /** {@code skip}: asked when a batch's turn comes; true answers it "not committed" without trying. */
  TransactionalLane(String name, String bootstrapServers, Duration timeout, int maxRequestBytes, BooleanSupplier skip) {
    this.name = name;
    this.timeout = timeout;
    this.skip = skip;
    int ms = (int) Math.max(timeout.toMillis(), 1000);
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.CLIENT_ID_CONFIG, name);
    // One id per process and lane: two replicas must never share one (they would fence each other).
    config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, name + "-" + UUID.randomUUID());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestBytes);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ms);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(30_000, ms - 1));
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (long) ms);
    // A transaction left open by a process that died is aborted by the broker after this long.
    config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Math.max(15_000, 2 * ms));
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Sends the records in one transaction; emits true once it committed, false when it did not (nothing
   * visible). Batches that wait for the lane while it is busy are sent together in its next
   * transaction (fewer commits, each one a few round trips and markers); they commit or fail together.
   */
  Mono<Boolean> send(List<ProducerRecord<String, byte[]>> records) {
    return Mono.create(sink -> {
      waiting.add(new Waiting(records, sink));
      thread.execute(this::sendWaiting);
    });
  }

  private record Waiting(List<ProducerRecord<String, byte[]>> records, MonoSink<Boolean> sink) {}

  /** On the lane's thread: takes what waits (up to about {@value #MAX_TRANSACTION_BYTES} bytes) into one transaction. */
  private void sendWaiting() {
    List<Waiting> taken = new ArrayList<>();
    List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
    long bytes = 0;
    for (Waiting next = waiting.peek(); next != null && (taken.isEmpty() || bytes < MAX_TRANSACTION_BYTES); next = waiting.peek()) {
      waiting.poll();
      taken.add(next);
      records.addAll(next.records());
      for (ProducerRecord<String, byte[]> record : next.records()) {
        bytes += record.value() == null ? 0 : record.value().length;
      }
    }
    if (taken.isEmpty()) {
      return; // an earlier turn took them along
    }
    boolean committed = !skip.getAsBoolean() && sendAndCommit(records);
    taken.forEach(w -> w.sink().success(committed));
  }

  Duration timeout() {
    return timeout;
  }

  private boolean sendAndCommit(List<ProducerRecord<String, byte[]>> records) {
    try {
      if (producer == null) {
        start();
      }
      producer.beginTransaction();
      for (ProducerRecord<String, byte[]> record : records) {
        producer.send(record);
      }
      producer.commitTransaction(); // flushes; throws if any record failed, or after max.block.ms
      return true;
    } catch (RuntimeException e) {
      lastFailure = e;
      discard();
      scheduleReinit();
      return false;
    }
  }

  /** Why the last transaction did not commit (for the log). */
  RuntimeException lastFailure() {
    return lastFailure;
  }

  private void start() {
    KafkaProducer<String, byte[]> fresh = new KafkaProducer<>(config);
    try {
      fresh.initTransactions(); // fences a predecessor with this id and aborts its open transaction
    } catch (RuntimeException e) {
      fresh.close(Duration.ZERO);
      throw e;
    }
    producer = fresh;
  }

  private void discard() {
    if (producer != null) {
      try {
        producer.close(Duration.ZERO);
      } catch (RuntimeException e) {
        log.debug("{}: closing the failed producer", name, e);
      }
      producer = null;
    }
  }

  /** Starts a new producer soon, so the failed transaction is aborted even if no batch comes. */
  private void scheduleReinit() {
    if (reinitScheduled) {
      return;
    }
    reinitScheduled = true;
    thread.schedule(() -> {
      reinitScheduled = false;
      if (producer == null) {
        try {
          start();
        } catch (RuntimeException e) {
          scheduleReinit();
        }
      }
    }, REINIT_DELAY_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    thread.execute(this::discard);
    thread.shutdown();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

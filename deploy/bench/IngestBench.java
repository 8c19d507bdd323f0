// The event-ingest benchmark's driver, one file run by deploy/bench/run-ingest-bench with
// `java -cp <event-ingest's test classpath> deploy/bench/IngestBench.java` (Java 17 single-file launch).
//
// 1. Signed GitHub issues.opened webhooks (the test fixture, 13 KB, spread over BENCH_REPOS repositories,
//    each with its own delivery id) are POSTed to ingest in a closed loop with BENCH_OUTSTANDING in flight:
//    BENCH_WARMUP not measured, then BENCH_WEBHOOKS measured. Every answer must be 200 "published".
// 2. The same records (same key, ce_* headers and value) are sent with a plain KafkaProducer (acks=all,
//    idempotence, the producer settings ingest uses) to topic bench.raw, as fast as it takes them: the
//    broker's own ceiling on this machine, measured in the same run.
// Writes key=value results to BENCH_OUT. Every loop is bounded; all traffic goes to 127.0.0.1.

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

public class IngestBench {
  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  public static void main(String[] args) throws Exception {
    String url = env("BENCH_INGEST_URL", "http://127.0.0.1:28082/webhooks/github");
    String kafka = env("BENCH_KAFKA", "127.0.0.1:29092");
    String secret = env("BENCH_SECRET", "bench-secret");
    int warmup = Integer.parseInt(env("BENCH_WARMUP", "5000"));
    int count = Integer.parseInt(env("BENCH_WEBHOOKS", "40000"));
    int outstanding = Integer.parseInt(env("BENCH_OUTSTANDING", "256"));
    int repos = Integer.parseInt(env("BENCH_REPOS", "64"));
    Path out = Path.of(env("BENCH_OUT", "ingest-bench.out"));
    String fixture = Files.readString(Path.of(env("BENCH_FIXTURE",
        "event-ingest/src/test/resources/webhooks/github/issues.opened.json")));

    List<byte[]> bodies = new ArrayList<>();
    List<String> signatures = new ArrayList<>();
    for (int r = 0; r < repos; r++) {
      byte[] body = fixture.replace("Codertocat/Hello-World", "bench-org/repo-" + r).getBytes(StandardCharsets.UTF_8);
      bodies.add(body);
      signatures.add("sha256=" + hmac(secret, body));
    }
    Map<String, String> results = new LinkedHashMap<>();
    results.put("body_bytes", String.valueOf(bodies.get(0).length));
    results.put("repositories", String.valueOf(repos));
    results.put("outstanding", String.valueOf(outstanding));

    ConnectionProvider pool = ConnectionProvider.builder("bench").maxConnections(outstanding)
        .pendingAcquireMaxCount(-1).build();
    HttpClient http = HttpClient.create(pool).responseTimeout(Duration.ofSeconds(60));

    System.out.println("warm-up: " + warmup + " webhooks");
    drive(http, url, bodies, signatures, warmup, outstanding, "warmup");
    System.out.println("measured: " + count + " webhooks, " + outstanding + " outstanding");
    long[] latencies = new long[count];
    Map<String, Long> cpu0 = cpuTicks();
    Phase ingest = drive(http, url, bodies, signatures, count, outstanding, "run", latencies);
    Map<String, Long> cpu1 = cpuTicks();
    double seconds = ingest.nanos / 1e9;
    cpu1.forEach((name, ticks) -> results.put("ingest_phase.cpu_cores." + name, fmt2((ticks - cpu0.get(name)) / 100.0 / seconds)));
    results.put("ingest_phase.ingest_cpu_ms_per_webhook",
        fmt2((cpu1.get("ingest") - cpu0.get("ingest")) * 10.0 / count));
    Arrays.sort(latencies);
    results.put("ingest.webhooks", String.valueOf(count));
    results.put("ingest.published", String.valueOf(ingest.published));
    results.put("ingest.other_answers", String.valueOf(ingest.other));
    results.put("ingest.seconds", fmt(ingest.nanos / 1e9));
    double ingestRate = count / (ingest.nanos / 1e9);
    results.put("ingest.webhooks_per_s", fmt(ingestRate));
    results.put("ingest.post_latency_ms.p50", fmt(latencies[count / 2] / 1e6));
    results.put("ingest.post_latency_ms.p99", fmt(latencies[(int) (count * 0.99)] / 1e6));
    results.put("ingest.post_latency_ms.max", fmt(latencies[count - 1] / 1e6));
    pool.disposeLater().block(Duration.ofSeconds(10));
    // Offsets, not records: each committed Kafka transaction also takes an offset per partition (its marker).
    results.put("topic.orca.webhooks.github.end_offsets", String.valueOf(endOffsets(kafka, "orca.webhooks.github")));

    System.out.println("raw producer: " + count + " records");
    double rawRate = raw(kafka, bodies, count);
    results.put("raw.records_per_s", fmt(rawRate));
    results.put("ratio.ingest_over_raw", fmt(ingestRate / rawRate));

    StringBuilder text = new StringBuilder();
    results.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Files.writeString(out, text.toString());
    System.out.print(text);
    System.exit(0);
  }

  record Phase(long nanos, long published, long other) {}

  static Phase drive(HttpClient http, String url, List<byte[]> bodies, List<String> signatures, int n, int outstanding,
      String prefix) {
    return drive(http, url, bodies, signatures, n, outstanding, prefix, null);
  }

  static Phase drive(HttpClient http, String url, List<byte[]> bodies, List<String> signatures, int n, int outstanding,
      String prefix, long[] latencies) {
    AtomicLong published = new AtomicLong();
    AtomicLong other = new AtomicLong();
    AtomicReference<String> firstOther = new AtomicReference<>();
    String run = UUID.randomUUID().toString().substring(0, 8);
    long start = System.nanoTime();
    Flux.range(0, n).flatMap(i -> {
      int repo = i % bodies.size();
      byte[] body = bodies.get(repo);
      long sent = System.nanoTime();
      return http.headers(h -> h.add("Content-Type", "application/json")
              .add("X-GitHub-Event", "issues")
              .add("X-GitHub-Delivery", prefix + "-" + run + "-" + i)
              .add("X-Hub-Signature-256", signatures.get(repo)))
          .post().uri(url)
          .send(ByteBufFlux.fromInbound(Mono.just(Unpooled.wrappedBuffer(body))))
          .responseSingle((response, content) -> content.asString().defaultIfEmpty("").map(text -> {
            if (latencies != null) {
              latencies[i] = System.nanoTime() - sent;
            }
            if (response.status().code() == 200 && text.contains("\"published\"")) {
              published.incrementAndGet();
            } else {
              other.incrementAndGet();
              firstOther.compareAndSet(null, response.status().code() + " " + text);
            }
            return text;
          }));
    }, outstanding).blockLast(Duration.ofMinutes(20));
    long nanos = System.nanoTime() - start;
    if (firstOther.get() != null) {
      System.out.println(prefix + ": " + other.get() + " answers were not 200 published, first: " + firstOther.get());
    }
    return new Phase(nanos, published.get(), other.get());
  }

  /** The broker's ceiling: the same records through a plain producer, as fast as it accepts them. */
  static double raw(String kafka, List<byte[]> bodies, int n) throws Exception {
    String topic = "bench.raw";
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // exists from an earlier run
    }
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 26 * 1024 * 1024);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      // warm the producer (metadata, connections)
      producer.send(new ProducerRecord<>(topic, "warm", bodies.get(0))).get(30, TimeUnit.SECONDS);
      CountDownLatch done = new CountDownLatch(n);
      AtomicLong failed = new AtomicLong();
      String time = Instant.now().atOffset(ZoneOffset.UTC).toString();
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        int repo = i % bodies.size();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, "bench-org/repo-" + repo, bodies.get(repo));
        record.headers().add("ce_specversion", b("1.0")).add("ce_id", b("raw-" + i))
            .add("ce_source", b("https://github.com/bench-org/repo-" + repo)).add("ce_type", b("com.github.issues.opened"))
            .add("ce_subject", b("1")).add("ce_time", b(time)).add("content-type", b("application/json"));
        producer.send(record, (meta, e) -> {
          if (e != null) {
            failed.incrementAndGet();
          }
          done.countDown();
        });
      }
      if (!done.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("raw producer did not finish");
      }
      long nanos = System.nanoTime() - start;
      if (failed.get() > 0) {
        throw new IllegalStateException(failed.get() + " raw records failed");
      }
      return n / (nanos / 1e9);
    }
  }

  static long endOffsets(String kafka, String topic) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka))) {
      var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions();
      Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> specs = new LinkedHashMap<>();
      partitions.forEach(p -> specs.put(new TopicPartition(topic, p.partition()), org.apache.kafka.clients.admin.OffsetSpec.latest()));
      return admin.listOffsets(specs).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
    }
  }

  /**
   * CPU ticks (1/100 s) so far of the processes named by BENCH_PIDS ({@code name=pid,...}), each with its
   * direct children (the postmaster's backends), and of the whole machine ({@code machine_busy}).
   */
  static Map<String, Long> cpuTicks() throws Exception {
    Map<String, Long> ticks = new LinkedHashMap<>();
    List<long[]> procs = new ArrayList<>(); // pid, ppid, utime + stime
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String stat = Files.readString(dir.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          procs.add(new long[] {Long.parseLong(dir.getFileName().toString()), Long.parseLong(f[1]),
              Long.parseLong(f[11]) + Long.parseLong(f[12])});
        } catch (Exception gone) {
          // the process ended meanwhile
        }
      }
    }
    for (String entry : env("BENCH_PIDS", "").split(",")) {
      if (entry.contains("=")) {
        long root = Long.parseLong(entry.substring(entry.indexOf('=') + 1).trim());
        ticks.put(entry.substring(0, entry.indexOf('=')).trim(),
            procs.stream().filter(p -> p[0] == root || p[1] == root).mapToLong(p -> p[2]).sum());
      }
    }
    ticks.put("driver", procs.stream().filter(p -> p[0] == ProcessHandle.current().pid()).mapToLong(p -> p[2]).sum());
    String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < cpu.length; i++) {
      total += Long.parseLong(cpu[i]);
    }
    ticks.put("machine_busy", total - Long.parseLong(cpu[4]) - Long.parseLong(cpu[5]));
    return ticks;
  }

  static String fmt2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String hmac(String secret, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}

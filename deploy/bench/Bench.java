// The engine benchmark's JVM side, one file run by deploy/bench/run-engine-bench with
// `java -cp <orchestrator's test classpath> deploy/bench/Bench.java <mode>` (Java 17 single-file launch).
//
//   kafka PORT MAX_SECONDS   an embedded single-node KRaft broker on 127.0.0.1:PORT (the orchestrator's
//                            start-up check and its outbox relay need one); exits by itself after MAX_SECONDS
//   drive                    the instant MCP server and the load driver; configured by BENCH_* variables
//                            (see run-engine-bench), writes key=value results to BENCH_OUT
//
// Every loop is bounded in count and time; all traffic goes to 127.0.0.1.

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

public class Bench {
  static final JsonMapper JSON = JsonMapper.builder().build();

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: Bench.java kafka PORT MAX_SECONDS | drive");
      System.exit(2);
    }
    switch (args[0]) {
      case "kafka" -> kafka(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
      case "drive" -> new Driver().run();
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
    System.exit(0);
  }

  // ------------------------------------------------------------------ kafka

  static void kafka(int port, int maxSeconds) throws Exception {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
    broker.brokerProperties(Map.of(
        "listeners", "EXTERNAL://127.0.0.1:0,LOCAL://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:0",
        "listener.security.protocol.map", "EXTERNAL:PLAINTEXT,LOCAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "auto.create.topics.enable", "true",
        "num.partitions", "1",
        "offsets.topic.num.partitions", "1",
        "offsets.topic.replication.factor", "1",
        "transaction.state.log.replication.factor", "1",
        "transaction.state.log.min.isr", "1",
        "share.coordinator.state.topic.replication.factor", "1",
        "group.initial.rebalance.delay.ms", "0"));
    broker.afterPropertiesSet();
    System.out.println("KAFKA READY 127.0.0.1:" + port);
    Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy));
    Thread.sleep(TimeUnit.SECONDS.toMillis(maxSeconds)); // bounded: the run script kills it earlier
    System.out.println("KAFKA max lifetime reached, stopping");
  }

  // ------------------------------------------------------------------ instant MCP server

  /** Streamable HTTP MCP server answering every tools/call at once with a ~1 KB result. */
  static final class InstantMcp implements AutoCloseable {
    private static final String PAD = "x".repeat(200);
    final AtomicLong calls = new AtomicLong();
    volatile Runnable onLastStep = () -> {};
    private final String lastStep;
    private final DisposableServer server;

    InstantMcp(int port, String lastStep) {
      this.lastStep = lastStep;
      this.server = HttpServer.create().host("127.0.0.1").port(port)
          .route(r -> r.post("/mcp", this::post)
              .delete("/mcp", (req, res) -> res.status(200).send())
              .get("/mcp", (req, res) -> res.status(405).send()))
          .bindNow(Duration.ofSeconds(10));
    }

    private Mono<Void> post(HttpServerRequest req, HttpServerResponse res) {
      return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("{}").flatMap(body -> {
        JsonNode msg = JSON.readTree(body);
        String method = msg.path("method").asString("");
        JsonNode id = msg.get("id");
        if (id == null) {
          return res.status(202).send().then(); // a notification
        }
        ObjectNode result = JSON.createObjectNode();
        if (method.equals("initialize")) {
          result.put("protocolVersion", msg.path("params").path("protocolVersion").asString("2025-06-18"));
          result.putObject("capabilities").putObject("tools");
          result.putObject("serverInfo").put("name", "bench-instant").put("version", "1");
          res.header("Mcp-Session-Id", UUID.randomUUID().toString());
        } else if (method.equals("tools/call")) {
          calls.incrementAndGet();
          JsonNode params = msg.path("params");
          String step = params.path("_meta").path("dev.orca/stepName").asString("");
          ObjectNode structured = JSON.createObjectNode();
          structured.put("ok", true);
          structured.put("tool", params.path("name").asString(""));
          structured.put("step", step);
          structured.set("echo", params.path("arguments"));
          structured.put("data", PAD);
          result.putArray("content").addObject().put("type", "text").put("text", JSON.writeValueAsString(structured));
          result.set("structuredContent", structured);
          result.put("isError", false);
          if (step.equals(lastStep)) {
            onLastStep.run();
          }
        } else if (method.equals("tools/list")) {
          result.putArray("tools").addObject().put("name", "bench.echo").putObject("inputSchema").put("type", "object");
        }
        ObjectNode reply = JSON.createObjectNode();
        reply.put("jsonrpc", "2.0");
        reply.set("id", id);
        reply.set("result", result);
        return res.status(200).header("Content-Type", "application/json")
            .sendString(Mono.just(JSON.writeValueAsString(reply))).then();
      });
    }

    @Override
    public void close() {
      server.disposeNow(Duration.ofSeconds(5));
    }
  }

  // ------------------------------------------------------------------ driver

  static final class Driver {
    static final String WORKFLOW = "bench5";
    static final int STEPS = 5;

    final String api = env("BENCH_API", "http://127.0.0.1:28080");
    final String token = env("BENCH_TOKEN", "bench-token");
    final int mcpPort = Integer.parseInt(env("BENCH_MCP_PORT", "28181"));
    final String jdbcUrl = env("BENCH_JDBC_URL", "jdbc:postgresql://127.0.0.1:25432/orca");
    final String dbUser = env("BENCH_DB_USER", "orca");
    final String dbPassword = env("BENCH_DB_PASSWORD", "orca");
    final int warmup = Integer.parseInt(env("BENCH_WARMUP", "8000"));
    final int executions = Integer.parseInt(env("BENCH_EXECUTIONS", "10000"));
    final int outstanding = Integer.parseInt(env("BENCH_OUTSTANDING", "128"));
    final int halfSeconds = Integer.parseInt(env("BENCH_HALF_SECONDS", "30"));
    final double loadFraction = Double.parseDouble(env("BENCH_LOAD_FRACTION", "0.5"));
    final int phaseTimeout = Integer.parseInt(env("BENCH_PHASE_TIMEOUT_SECONDS", "300"));
    final Path out = Path.of(env("BENCH_OUT", "bench-results.properties"));
    final Map<String, Long> pids = parsePids(env("BENCH_PIDS", ""));

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    final Map<String, String> results = new LinkedHashMap<>();
    final String payload = "p".repeat(100);

    /**
     * A checkpoint between phases, as a server's periodic checkpoints would make, so that the next phase
     * writes its WAL into recycled segments (min_wal_size keeps them). A fresh cluster instead creates and
     * zero-fills a new 16 MB segment every few seconds, and every commit waits 30-50 ms while it does:
     * at half load that was the whole start-to-first-step p99 tail. BENCH_CHECKPOINT=false measures that.
     */
    void checkpoint(Connection db, String when) throws Exception {
      if (Boolean.parseBoolean(env("BENCH_CHECKPOINT", "true"))) {
        try (var st = db.createStatement()) {
          st.execute("CHECKPOINT");
        }
        log("CHECKPOINT %s", when);
      }
    }

    void run() throws Exception {
      try (InstantMcp mcp = new InstantMcp(mcpPort, "s" + STEPS);
           Connection db = DriverManager.getConnection(jdbcUrl, dbUser, dbPassword)) {
        createWorkflow();
        log("warm-up: %d executions, %d outstanding", warmup, outstanding);
        Phase warm = closedLoop("warmup", mcp, warmup);
        awaitDone(db, warm);
        // A system that has run longer than this benchmark has table statistics (autovacuum gathers them
        // within minutes). The statements' cached plans date from the first executions on empty tables and
        // are re-planned when the statistics change; without this, max load ran ~10 % slower on seq scans.
        if (Boolean.parseBoolean(env("BENCH_ANALYZE", "true"))) {
          try (var st = db.createStatement()) {
            st.execute("ANALYZE");
          }
          log("ANALYZE after the warm-up");
        }
        checkpoint(db, "after the warm-up");

        resetStatements(db);
        log("max load: %d executions, closed loop with %d outstanding", executions, outstanding);
        Phase max = closedLoop("max", mcp, executions);
        awaitDone(db, max);
        Map<String, Long> statements = statementCounts(db);
        Stats maxStats = readBack(db, max);
        report("max", max, maxStats);
        statements.forEach((k, v) -> results.put("max.sql." + k, String.format(Locale.ROOT, "%.2f", v / (double) maxStats.steps)));

        double maxExecPerSecond = maxStats.stepsPerSecondSteady / STEPS;
        double rate = maxExecPerSecond * loadFraction;
        int count = (int) Math.max(1, Math.round(rate * halfSeconds));
        log("%.0f%% load: %.1f executions/s (%.0f steps/s offered) for %d s, open loop", loadFraction * 100, rate,
            rate * STEPS, halfSeconds);
        checkpoint(db, "before the half load");
        resetStatements(db);
        Phase half = openLoop("half", rate, count);
        awaitDone(db, half);
        Map<String, Long> halfStatements = statementCounts(db);
        Stats halfStats = readBack(db, half);
        results.put("half.offered_executions_per_s", fmt(rate));
        results.put("half.offered_steps_per_s", fmt(rate * STEPS));
        report("half", half, halfStats);
        halfStatements.forEach((k, v) -> results.put("half.sql." + k, String.format(Locale.ROOT, "%.2f", v / (double) halfStats.steps)));
        results.put("bench.date", Instant.now().toString());
        results.put("bench.engine_steps_per_s", fmt(maxStats.stepsPerSecondSteady));
      }
      StringBuilder sb = new StringBuilder();
      results.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
      Files.writeString(out, sb.toString());
      System.out.print(sb);
    }

    // ---- phases

    final class Phase {
      final String name;
      final List<UUID> ids = java.util.Collections.synchronizedList(new ArrayList<>());
      final ConcurrentLinkedQueue<Long> postNanos = new ConcurrentLinkedQueue<>();
      final AtomicInteger errors = new AtomicInteger();
      final AtomicInteger inflight = new AtomicInteger();
      long wallStart;
      long wallEnd;
      Map<String, Long> cpuStart;
      Map<String, Long> cpuEnd;
      long[] machineStart;
      long[] machineEnd;

      Phase(String name) {
        this.name = name;
      }

      void begin() {
        cpuStart = cpuTicks();
        machineStart = machineTicks();
        wallStart = System.nanoTime();
      }

      void end() {
        wallEnd = System.nanoTime();
        cpuEnd = cpuTicks();
        machineEnd = machineTicks();
      }
    }

    /** Starts {@code n} executions, keeping at most {@code outstanding} started and not yet at their last step. */
    Phase closedLoop(String name, InstantMcp mcp, int n) throws InterruptedException {
      Phase phase = new Phase(name);
      Semaphore slots = new Semaphore(outstanding);
      mcp.onLastStep = slots::release;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(phaseTimeout);
      phase.begin();
      for (int i = 0; i < n; i++) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !slots.tryAcquire(left, TimeUnit.NANOSECONDS)) {
          log("%s: timed out after starting %d executions", name, i);
          break;
        }
        start(phase, i, slots::release);
      }
      // Wait until every execution reached its last step (bounded), then stop the clock.
      while (System.nanoTime() < deadline && slots.availablePermits() < outstanding) {
        Thread.sleep(2);
      }
      phase.end();
      mcp.onLastStep = () -> {};
      return phase;
    }

    /** Starts {@code count} executions at a fixed rate, whatever the engine does (open loop). */
    Phase openLoop(String name, double perSecond, int count) throws InterruptedException {
      Phase phase = new Phase(name);
      long interval = (long) (1e9 / perSecond);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(phaseTimeout);
      phase.begin();
      long t0 = System.nanoTime();
      for (int i = 0; i < count && System.nanoTime() < deadline; i++) {
        long at = t0 + i * interval;
        long wait;
        while ((wait = at - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        start(phase, i, () -> {});
      }
      while (phase.inflight.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(2);
      }
      phase.end(); // completion is awaited (unmetered) by awaitDone
      return phase;
    }

    void start(Phase phase, int i, Runnable onFailure) {
      String body = "{\"input\":{\"n\":" + i + ",\"payload\":\"" + payload + "\"}}";
      HttpRequest request = HttpRequest.newBuilder(URI.create(api + "/api/v1/workflows/" + WORKFLOW + "/executions"))
          .header("Authorization", "Bearer " + token)
          .header("Content-Type", "application/json")
          .timeout(Duration.ofSeconds(30))
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
      long t0 = System.nanoTime();
      phase.inflight.incrementAndGet();
      http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
        try {
          if (error == null && response.statusCode() == 202) {
            phase.postNanos.add(System.nanoTime() - t0);
            phase.ids.add(UUID.fromString(JSON.readTree(response.body()).path("id").asString()));
          } else {
            if (phase.errors.incrementAndGet() <= 5) {
              log("start failed: %s", error != null ? error.toString() : response.statusCode() + " " + response.body());
            }
            onFailure.run();
          }
        } finally {
          phase.inflight.decrementAndGet();
        }
      });
    }

    void createWorkflow() throws Exception {
      StringBuilder steps = new StringBuilder();
      for (int s = 1; s <= STEPS; s++) {
        String params = s == 1
            ? "{\"n\":\"${input.n}\",\"payload\":\"${input.payload}\"}"
            : "{\"n\":\"${input.n}\",\"prev\":\"${r" + (s - 1) + ".step}\"}";
        steps.append(s == 1 ? "" : ",").append("{\"name\":\"s").append(s).append("\",\"tool\":\"bench.echo\",\"params\":")
            .append(params).append(",\"assign\":\"r").append(s).append("\"}");
      }
      String body = "{\"name\":\"" + WORKFLOW + "\",\"description\":\"engine benchmark: 5 instant tool steps\","
          + "\"definition\":{\"steps\":[" + steps + "]}}";
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/workflows"))
          .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
          .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 201 && r.statusCode() != 409) {
        throw new IllegalStateException("creating the workflow: " + r.statusCode() + " " + r.body());
      }
    }

    /** Polls (after the metered part) until every execution of the phase has finished; bounded. */
    void awaitDone(Connection db, Phase phase) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(phaseTimeout);
      while (System.nanoTime() < deadline) {
        try (PreparedStatement st = db.prepareStatement(
            "SELECT count(*) FROM workflow_executions WHERE id = ANY(?) AND status NOT IN ('completed','failed','cancelled')")) {
          st.setArray(1, db.createArrayOf("uuid", phase.ids.toArray()));
          try (ResultSet rs = st.executeQuery()) {
            rs.next();
            if (rs.getLong(1) == 0) {
              return;
            }
          }
        }
        Thread.sleep(200);
      }
      log("%s: not every execution finished within %d s", phase.name, phaseTimeout);
    }

    // ---- read-back and figures

    static final class Stats {
      long executions;
      long completed;
      long steps;
      double stepsPerSecondWhole;
      double stepsPerSecondSteady;
      double[] latencyMs;       // created_at -> completed_at
      double[] firstStepMs;     // created_at -> first step started_at
      double[] claimMs;         // created_at -> started_at (claimed)
      double[] runMs;           // started_at -> completed_at
    }

    Stats readBack(Connection db, Phase phase) throws Exception {
      Stats s = new Stats();
      Object[] ids = phase.ids.toArray();
      List<double[]> rows = new ArrayList<>();
      try (PreparedStatement st = db.prepareStatement("""
          SELECT e.status,
                 extract(epoch FROM e.created_at) * 1000, extract(epoch FROM e.started_at) * 1000,
                 extract(epoch FROM e.completed_at) * 1000, extract(epoch FROM s0.started_at) * 1000
          FROM workflow_executions e JOIN workflow_steps s0 ON s0.execution_id = e.id AND s0.step_index = 0
          WHERE e.id = ANY(?)""")) {
        st.setArray(1, db.createArrayOf("uuid", ids));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            s.executions++;
            if (rs.getString(1).equals("completed")) {
              s.completed++;
              rows.add(new double[] {rs.getDouble(2), rs.getDouble(3), rs.getDouble(4), rs.getDouble(5)});
            }
          }
        }
      }
      List<Double> done = new ArrayList<>();
      try (PreparedStatement st = db.prepareStatement(
          "SELECT extract(epoch FROM completed_at) * 1000 FROM workflow_steps WHERE execution_id = ANY(?) AND status = 'completed'")) {
        st.setArray(1, db.createArrayOf("uuid", ids));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            done.add(rs.getDouble(1));
          }
        }
      }
      s.steps = done.size();
      double[] t = done.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double firstCreated = rows.stream().mapToDouble(r -> r[0]).min().orElse(0);
      if (t.length > 10) {
        s.stepsPerSecondWhole = t.length / ((t[t.length - 1] - firstCreated) / 1000);
        int lo = (int) (t.length * 0.1);
        int hi = (int) (t.length * 0.9);
        s.stepsPerSecondSteady = (hi - lo) / ((t[hi] - t[lo]) / 1000);
      }
      s.latencyMs = rows.stream().mapToDouble(r -> r[2] - r[0]).sorted().toArray();
      s.firstStepMs = rows.stream().mapToDouble(r -> r[3] - r[0]).sorted().toArray();
      s.claimMs = rows.stream().mapToDouble(r -> r[1] - r[0]).sorted().toArray();
      s.runMs = rows.stream().mapToDouble(r -> r[2] - r[1]).sorted().toArray();
      return s;
    }

    void report(String p, Phase phase, Stats s) {
      double wall = (phase.wallEnd - phase.wallStart) / 1e9;
      results.put(p + ".executions", Long.toString(s.executions));
      results.put(p + ".completed", Long.toString(s.completed));
      results.put(p + ".start_errors", Integer.toString(phase.errors.get()));
      results.put(p + ".steps", Long.toString(s.steps));
      results.put(p + ".wall_s", fmt(wall));
      results.put(p + ".steps_per_s_steady", fmt(s.stepsPerSecondSteady));
      results.put(p + ".steps_per_s_whole", fmt(s.stepsPerSecondWhole));
      pct(p + ".exec_latency_ms", s.latencyMs);
      pct(p + ".start_to_first_step_ms", s.firstStepMs);
      pct(p + ".start_to_claim_ms", s.claimMs);
      pct(p + ".claim_to_done_ms", s.runMs);
      double[] post = phase.postNanos.stream().mapToDouble(n -> n / 1e6).sorted().toArray();
      pct(p + ".post_latency_ms", post);
      double ours = 0;
      for (var e : phase.cpuEnd.entrySet()) {
        long ticks = e.getValue() - phase.cpuStart.getOrDefault(e.getKey(), 0L);
        ours += ticks / 100.0 / wall;
        results.put(p + ".cpu_cores." + e.getKey(), fmt2(ticks / 100.0 / wall));
      }
      long busy = (phase.machineEnd[0] - phase.machineStart[0]);
      long total = (phase.machineEnd[1] - phase.machineStart[1]);
      double busyCores = total == 0 ? 0 : (double) busy / total * Runtime.getRuntime().availableProcessors();
      // Anything else on the machine (another build, the kernel): the figures are only good when this is ~0.
      results.put(p + ".cpu_cores.everything_else", fmt2(Math.max(0, busyCores - ours)));
      results.put(p + ".cpu_machine_busy_pct", fmt(total == 0 ? 0 : 100.0 * busy / total));
      log("%s: %d/%d completed, %d steps, %.0f steps/s (steady), exec p50/p99 %.1f/%.1f ms, first step p50/p99 %.1f/%.1f ms",
          p, s.completed, s.executions, s.steps, s.stepsPerSecondSteady, q(s.latencyMs, 0.5), q(s.latencyMs, 0.99),
          q(s.firstStepMs, 0.5), q(s.firstStepMs, 0.99));
    }

    void pct(String key, double[] sorted) {
      results.put(key + ".p50", fmt(q(sorted, 0.5)));
      results.put(key + ".p99", fmt(q(sorted, 0.99)));
      results.put(key + ".max", fmt(sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]));
    }

    static double q(double[] sorted, double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    }

    // ---- pg_stat_statements: statements per step, measured

    void resetStatements(Connection db) {
      try (var st = db.createStatement()) {
        st.execute("SELECT pg_stat_statements_reset()");
      } catch (Exception e) {
        log("pg_stat_statements unavailable (%s): no per-statement counts", e.getMessage());
      }
    }

    /** Calls per kind of statement during the max phase (the engine, the API, the relay; not this driver's reads). */
    Map<String, Long> statementCounts(Connection db) {
      Map<String, Long> counts = new LinkedHashMap<>();
      String sql = """
          SELECT CASE
                   WHEN query ILIKE 'BEGIN%' OR query ILIKE 'START TRANSACTION%' THEN 'begin'
                   WHEN query ILIKE 'COMMIT%' THEN 'commit'
                   WHEN query ILIKE 'ROLLBACK%' THEN 'rollback'
                   WHEN query LIKE '%WITH due AS%' AND query LIKE '%lease_owner%' THEN 'claim'
                   WHEN query LIKE '%prev AS (%' AND query LIKE '%UPDATE workflow_steps%' THEN 'start_step'
                   WHEN query LIKE '%UPDATE workflow_executions e SET%context =%' THEN 'finish_step'
                   WHEN query LIKE '%INSERT INTO execution_outbox%unnest%' THEN 'events_insert'
                   WHEN query LIKE 'SELECT pg_notify%' THEN 'notify'
                   WHEN query LIKE '%INSERT INTO workflow_executions%' THEN 'api_start'
                   WHEN query LIKE '%SELECT id, version, enabled FROM workflows%' THEN 'api_start_lookup'
                   WHEN query LIKE '%jsonb_agg(jsonb_build_object%' THEN 'api_read_execution'
                   WHEN query LIKE '%execution_outbox%' THEN 'outbox_relay'
                   WHEN query LIKE '%lease_expires_at = now() + make_interval%' AND query NOT LIKE '%WITH due%' THEN 'lease_renew'
                   WHEN query ILIKE '%pg_stat_statements%' OR query LIKE '%status NOT IN (''completed''%' THEN 'bench_driver'
                   ELSE 'other' END AS kind,
                 sum(calls)::bigint
          FROM pg_stat_statements GROUP BY 1 ORDER BY 2 DESC""";
      try (var st = db.createStatement(); ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
        }
      } catch (Exception e) {
        log("pg_stat_statements unavailable (%s)", e.getMessage());
      }
      return counts;
    }

    // ---- CPU accounting from /proc (clock ticks, 100 per second)

    Map<String, Long> cpuTicks() {
      Map<String, Long> ticks = new LinkedHashMap<>();
      pids.forEach((name, pid) -> ticks.put(name, name.equals("postgres") ? treeTicks(pid) : ticks(pid)));
      ticks.put("driver_and_mcp", ticks(ProcessHandle.current().pid()));
      return ticks;
    }

    static long ticks(long pid) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
      } catch (IOException | RuntimeException e) {
        return 0;
      }
    }

    /** The postmaster and its children (backends, WAL writer, checkpointer...). */
    static long treeTicks(long root) {
      long sum = ticks(root);
      try (var dirs = Files.list(Path.of("/proc"))) {
        for (Path d : (Iterable<Path>) dirs::iterator) {
          String name = d.getFileName().toString();
          if (!name.chars().allMatch(Character::isDigit)) {
            continue;
          }
          try {
            String stat = Files.readString(d.resolve("stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (Long.parseLong(f[1]) == root) {
              sum += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            }
          } catch (IOException | RuntimeException ignored) {
            // gone meanwhile
          }
        }
      } catch (IOException ignored) {
        // no /proc
      }
      return sum;
    }

    /** Machine-wide busy and total ticks from /proc/stat. */
    static long[] machineTicks() {
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
          total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {total - idle, total};
      } catch (IOException | RuntimeException e) {
        return new long[] {0, 0};
      }
    }

    static Map<String, Long> parsePids(String spec) {
      Map<String, Long> pids = new LinkedHashMap<>();
      for (String part : spec.trim().split("\\s+")) {
        if (part.contains("=")) {
          String[] kv = part.split("=", 2);
          pids.put(kv[0], Long.parseLong(kv[1]));
        }
      }
      return pids;
    }

    static String env(String name, String dflt) {
      String v = System.getenv(name);
      return v == null || v.isBlank() ? dflt : v;
    }

    static String fmt(double v) {
      return String.format(Locale.ROOT, "%.1f", v);
    }

    static String fmt2(double v) {
      return String.format(Locale.ROOT, "%.2f", v);
    }

    static void log(String format, Object... args) {
      System.err.println("[bench] " + String.format(Locale.ROOT, format, args));
    }
  }
}

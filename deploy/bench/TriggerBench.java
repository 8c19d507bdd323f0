// The trigger benchmark's driver, one file run by deploy/bench/run-trigger-bench with
// `java -cp <orchestrator's test classpath> deploy/bench/TriggerBench.java` (Java 17 single-file launch).
//
// Against a running local stack (deploy/local): creates workflow bench-trigger (one builtin.echo step, so the
// executions it starts load the machine little) and a subscription that starts it for every GitHub
// issues.opened event, then, open loop at BENCH_RATE per second for BENCH_SECONDS:
//   phase "webhook": signed GitHub issues.opened webhooks POSTed to event-ingest;
//   phase "api":     POST /api/v1/workflows/bench-trigger/executions, the baseline in the same run.
// Latencies come from timestamps: the driver's send time (wall clock, same machine) and the database's
// events.received_at and workflow_executions.created_at, read back after each phase.
// Every loop is bounded in count and time; all traffic goes to 127.0.0.1.

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
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class TriggerBench {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final String api = env("BENCH_API", "http://127.0.0.1:28080");
  final String ingest = env("BENCH_INGEST", "http://127.0.0.1:28082");
  final String token = env("BENCH_TOKEN", "");
  final String secret = env("BENCH_GITHUB_SECRET", "");
  final String jdbc = env("BENCH_JDBC_URL", "jdbc:postgresql://127.0.0.1:25433/orca");
  final double rate = Double.parseDouble(env("BENCH_RATE", "10"));
  final int seconds = Integer.parseInt(env("BENCH_SECONDS", "30"));
  final int warmup = Integer.parseInt(env("BENCH_WARMUP", "200"));
  /** Webhooks come from this many repositories (the record key, so the partition, is the repository). */
  final int repos = Integer.parseInt(env("BENCH_REPOS", "1"));
  final Path repo = Path.of(env("BENCH_REPO", "."));
  final Map<String, String> results = new LinkedHashMap<>();

  public static void main(String[] args) throws Exception {
    new TriggerBench().run();
    System.exit(0);
  }

  static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  void run() throws Exception {
    post(api + "/api/v1/workflows", """
        {"name": "bench-trigger", "definition": {"steps": [
          {"name": "greet", "tool": "builtin.echo", "params": {"message": "Hello, ${input.who}!"}}]}}""",
        Map.of("Authorization", "Bearer " + token)).join();
    post(api + "/api/v1/subscriptions", """
        {"name": "bench-issues", "source": "github", "eventTypePattern": "com.github.issues.opened",
         "workflow": "bench-trigger", "inputMapping": {"who": "${payload.sender.login}"}}""",
        Map.of("Authorization", "Bearer " + token)).join();
    String payload = Files.readString(repo.resolve("orchestrator/src/test/resources/webhooks/github/issues-opened.json"));

    log("warm-up: %d webhooks and %d API starts at %.0f/s", warmup, warmup, rate);
    phase("warmup_webhook", warmup, id -> webhook(id, payload));
    phase("warmup_api", warmup, id -> apiStart(id));
    try (Connection c = DriverManager.getConnection(jdbc, "orca", "orca")) {
      log("webhook phase: %.0f/s for %d s", rate, seconds);
      Usage before = usage(c);
      Map<String, Instant> webhooks = phase("webhook", (int) (rate * seconds), id -> webhook(id, payload));
      // Until the last execution is started, so a consumer that fell behind is charged for all of its work.
      await(c, "SELECT count(*) FROM events v JOIN workflow_executions e ON e.trigger_event_id = v.id WHERE v.delivery_id = ANY(?)",
          webhooks.keySet(), webhooks.size());
      report("webhook", before, usage(c), webhooks.size());
      log("api phase (baseline): %.0f/s for %d s", rate, seconds);
      before = usage(c);
      Map<String, Instant> starts = phase("api", (int) (rate * seconds), id -> apiStart(id));
      await(c, "SELECT count(*) FROM workflow_executions WHERE idempotency_key = ANY(?)", starts.keySet(), starts.size());
      report("api", before, usage(c), starts.size());

      List<Double> total = new ArrayList<>();
      List<Double> running = new ArrayList<>();
      List<Double> toEvent = new ArrayList<>();
      List<Double> eventToStart = new ArrayList<>();
      Instant firstSent = webhooks.values().stream().min(Instant::compareTo).orElseThrow();
      Instant lastStarted = firstSent;
      try (PreparedStatement s = c.prepareStatement("""
          SELECT v.delivery_id, v.received_at, e.created_at, e.started_at
          FROM events v JOIN workflow_executions e ON e.trigger_event_id = v.id
          WHERE v.delivery_id = ANY(?)""")) {
        s.setArray(1, c.createArrayOf("text", webhooks.keySet().toArray()));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            Instant sent = webhooks.get(rs.getString(1));
            Instant received = rs.getTimestamp(2).toInstant();
            Instant created = rs.getTimestamp(3).toInstant();
            total.add(ms(sent, created));
            if (rs.getTimestamp(4) != null) {
              running.add(ms(sent, rs.getTimestamp(4).toInstant()));
            }
            toEvent.add(ms(sent, received));
            eventToStart.add(ms(received, created));
            lastStarted = created.isAfter(lastStarted) ? created : lastStarted;
          }
        }
      }
      percentiles("webhook.to_execution_started_ms", total);
      percentiles("webhook.to_execution_running_ms", running);
      percentiles("webhook.to_event_stored_ms", toEvent);
      percentiles("webhook.event_stored_to_execution_started_ms", eventToStart);
      results.put("webhook.executions", Integer.toString(total.size()) + "/" + webhooks.size());
      // Below the offered rate when the consumer fell behind: first webhook sent to last execution started.
      results.put("webhook.events_per_s_started", String.format(Locale.ROOT, "%.1f",
          total.size() / Math.max(1e-3, ms(firstSent, lastStarted) / 1000)));

      List<Double> apiLatency = new ArrayList<>();
      List<Double> apiRunning = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT idempotency_key, created_at, started_at FROM workflow_executions WHERE idempotency_key = ANY(?)")) {
        s.setArray(1, c.createArrayOf("text", starts.keySet().toArray()));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            apiLatency.add(ms(starts.get(rs.getString(1)), rs.getTimestamp(2).toInstant()));
            if (rs.getTimestamp(3) != null) {
              apiRunning.add(ms(starts.get(rs.getString(1)), rs.getTimestamp(3).toInstant()));
            }
          }
        }
      }
      percentiles("api.to_execution_started_ms", apiLatency);
      percentiles("api.to_execution_running_ms", apiRunning);
      results.put("api.executions", apiLatency.size() + "/" + starts.size());
    }
    StringBuilder out = new StringBuilder();
    results.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
    Files.writeString(Path.of(env("BENCH_OUT", "trigger-bench.properties")), out);
    System.out.print(out);
  }

  interface Send {
    CompletableFuture<HttpResponse<String>> send(String id);
  }

  /** Open loop: request i is sent at start + i / rate whatever the answers do; waits for every answer. */
  Map<String, Instant> phase(String name, int count, Send send) {
    Map<String, Instant> sent = new ConcurrentHashMap<>();
    List<Double> answers = new ArrayList<>();
    List<CompletableFuture<?>> pending = new ArrayList<>();
    long start = System.nanoTime();
    int failed = 0;
    for (int i = 0; i < count; i++) {
      long due = start + (long) (i * 1e9 / rate);
      while (System.nanoTime() < due) {
        LockSupport.parkNanos(Math.min(due - System.nanoTime(), 1_000_000));
      }
      String id = UUID.randomUUID().toString();
      long t0 = System.nanoTime();
      sent.put(id, Instant.now());
      pending.add(send.send(id).whenComplete((r, e) -> {
        synchronized (answers) {
          answers.add((System.nanoTime() - t0) / 1e6);
        }
        if (e != null || r.statusCode() >= 300) {
          System.err.println(name + ": " + (e != null ? e : r.statusCode() + " " + r.body()));
        }
      }));
    }
    for (CompletableFuture<?> f : pending) {
      try {
        f.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        failed++;
      }
    }
    percentiles(name + ".http_answer_ms", answers);
    results.put(name + ".failed_requests", Integer.toString(failed));
    return sent;
  }

  CompletableFuture<HttpResponse<String>> webhook(String delivery, String payload) {
    int n = Math.abs(delivery.hashCode() % 100000);
    String repository = repos <= 1 ? "Hello-World" : "Hello-World-" + (n % repos);
    byte[] body = payload.replace("\"number\": 1,", "\"number\": " + (1 + n) + ",")
        .replace("Codertocat/Hello-World", "Codertocat/" + repository)
        .replace("\"name\": \"Hello-World\"", "\"name\": \"" + repository + "\"")
        .getBytes(StandardCharsets.UTF_8);
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(ingest + "/webhooks/github"))
        .header("Content-Type", "application/json")
        .header("X-GitHub-Event", "issues")
        .header("X-GitHub-Delivery", delivery)
        .header("X-Hub-Signature-256", "sha256=" + hmac(secret, body))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  CompletableFuture<HttpResponse<String>> apiStart(String key) {
    return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(api + "/api/v1/workflows/bench-trigger/executions"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + token)
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString("{\"input\": {\"who\": \"bench\"}}")).build(), HttpResponse.BodyHandlers.ofString());
  }

  static String hmac(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static CompletableFuture<HttpResponse<String>> post(String url, String body, Map<String, String> headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static void await(Connection c, String sql, java.util.Set<String> ids, int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int found = 0;
    while (System.nanoTime() < deadline) {
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setArray(1, c.createArrayOf("text", ids.toArray()));
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          found = rs.getInt(1);
        }
      }
      if (found >= expected) {
        return;
      }
      Thread.sleep(500);
    }
    log("only %d of %d executions started within 120 s", found, expected);
  }

  /**
   * What a phase cost: CPU ticks (1/100 s) of the processes named by BENCH_PIDS ({@code name=pid,...}, each with
   * its direct children, so PostgreSQL's backends count), of the whole machine, and PostgreSQL's committed
   * transactions (every autocommit statement is one; the driver's own reads are a handful per phase).
   */
  record Usage(Map<String, Long> ticks, long busy, long total, long commits, long nanos) {}

  /** Per request of the phase: CPU of each named process, PostgreSQL commits; and how busy the machine was. */
  void report(String phase, Usage before, Usage after, int requests) {
    double seconds = (after.nanos() - before.nanos()) / 1e9;
    results.put(phase + ".machine_busy_pct", String.format(Locale.ROOT, "%.1f",
        100.0 * (after.busy() - before.busy()) / Math.max(1, after.total() - before.total())));
    results.put(phase + ".loadavg", loadavg());
    after.ticks().forEach((name, t) -> {
      long used = t - before.ticks().getOrDefault(name, t);
      results.put(phase + ".cpu_ms_per_request." + name, String.format(Locale.ROOT, "%.2f", used * 10.0 / requests));
      results.put(phase + ".cpu_cores." + name, String.format(Locale.ROOT, "%.2f", used / 100.0 / seconds));
    });
    results.put(phase + ".pg_commits_per_request", String.format(Locale.ROOT, "%.2f",
        (double) (after.commits() - before.commits()) / requests));
  }

  Usage usage(Connection c) throws Exception {
    long commits;
    try (ResultSet rs = c.createStatement().executeQuery(
        "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
      rs.next();
      commits = rs.getLong(1);
    }
    List<long[]> procs = new ArrayList<>(); // pid, ppid, utime + stime
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        if (!dir.getFileName().toString().chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String stat = Files.readString(dir.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          procs.add(new long[] {Long.parseLong(dir.getFileName().toString()), Long.parseLong(f[1]),
              Long.parseLong(f[11]) + Long.parseLong(f[12])});
        } catch (Exception e) {
          // the process ended meanwhile
        }
      }
    }
    Map<String, Long> ticks = new LinkedHashMap<>();
    for (String named : env("BENCH_PIDS", "").split(",")) {
      if (named.contains("=")) {
        long root = Long.parseLong(named.substring(named.indexOf('=') + 1).trim());
        ticks.put(named.substring(0, named.indexOf('=')).trim(),
            procs.stream().filter(p -> p[0] == root || p[1] == root).mapToLong(p -> p[2]).sum());
      }
    }
    long[] machine = machineTicks();
    // Statistics are sent by backends at transaction end and read from a snapshot: see fresh ones next time.
    c.createStatement().execute("SELECT pg_stat_clear_snapshot()");
    return new Usage(ticks, machine[0], machine[1], commits, System.nanoTime());
  }

  String loadavg() {
    try {
      return String.join(" ", Arrays.copyOf(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+"), 3));
    } catch (Exception e) {
      return "unknown";
    }
  }

  void percentiles(String name, List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    if (sorted.isEmpty()) {
      results.put(name, "none");
      return;
    }
    for (double p : new double[] {50, 90, 99}) {
      int i = (int) Math.min(sorted.size() - 1, Math.ceil(p / 100 * sorted.size()) - 1);
      results.put(name + ".p" + (int) p, String.format(Locale.ROOT, "%.1f", sorted.get(Math.max(0, i))));
    }
    results.put(name + ".max", String.format(Locale.ROOT, "%.1f", sorted.get(sorted.size() - 1)));
  }

  static double ms(Instant from, Instant to) {
    return Duration.between(from, to).toNanos() / 1e6;
  }

  /** Busy and total CPU ticks of the whole machine (/proc/stat). */
  static long[] machineTicks() throws Exception {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length; i++) {
      total += Long.parseLong(f[i]);
    }
    return new long[] {total - Long.parseLong(f[4]) - Long.parseLong(f[5]), total};
  }

  static void log(String format, Object... args) {
    System.out.printf("[trigger-bench %s] %s%n", Instant.now(), String.format(Locale.ROOT, format, args));
  }
}

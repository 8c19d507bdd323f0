// The gateway relay benchmark, one file run by deploy/bench/run-relay-bench with
// `java -cp <mcp-gateway's test classpath> deploy/bench/RelayBench.java` (Java 17 single-file launch).
//
// In one run: an instant MCP upstream (2026-07-28, Reactor Netty, in this JVM), the gateway jar as its own
// process on a throw-away embedded PostgreSQL (test-support), and a closed-loop driver calling the same
// trivial tool `tools/call echo` directly on the upstream and as `bench.echo` through the gateway, at the
// same concurrency, in alternating rounds. Writes key=value results to BENCH_OUT and a table to stdout.
// Settings (environment): BENCH_CONCURRENCY (32), BENCH_REQUESTS per round (20000), BENCH_ROUNDS (3),
// BENCH_WARMUP per target (20000), BENCH_AUDITED (false: calls carry the orchestrator's _meta, so the
// gateway only measures them; true: external calls, each also written to mcp_tool_calls), BENCH_GATEWAY_JAR,
// BENCH_GATEWAY_JAVA_OPTS (-Xms512m -Xmx512m), BENCH_OUT. Everything listens on 127.0.0.1; every loop is
// bounded; the gateway process is destroyed on exit.

import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

public class RelayBench {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String VERSION = "2026-07-28";
  static final String TOKEN = "bench-token";

  final int concurrency = intEnv("BENCH_CONCURRENCY", 32);
  final int requests = intEnv("BENCH_REQUESTS", 20000);
  final int rounds = intEnv("BENCH_ROUNDS", 3);
  final int warmup = intEnv("BENCH_WARMUP", 20000);
  final boolean audited = Boolean.parseBoolean(System.getenv().getOrDefault("BENCH_AUDITED", "false"));
  final Map<String, String> results = new LinkedHashMap<>();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  Process gateway;

  public static void main(String[] args) throws Exception {
    RelayBench bench = new RelayBench();
    try {
      bench.run();
    } finally {
      if (bench.gateway != null) {
        bench.gateway.destroy();
        bench.gateway.waitFor();
      }
    }
    System.exit(0);
  }

  void run() throws Exception {
    TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("relay_bench"));
    DisposableServer upstream = HttpServer.create().host("127.0.0.1").port(0)
        .route(r -> r.post("/mcp", RelayBench::upstream))
        .bindNow(Duration.ofSeconds(10));
    String upstreamUrl = "http://127.0.0.1:" + upstream.port() + "/mcp";
    int port = freePort();
    startGateway(db, port);
    String gatewayUrl = "http://127.0.0.1:" + port + "/mcp";
    register(port, upstreamUrl);

    Target direct = new Target("direct", upstreamUrl, "echo", false);
    Target relayed = new Target("gateway", gatewayUrl, "bench.echo", true);
    log("warm-up: " + warmup + " calls each");
    drive(direct, warmup);
    drive(relayed, warmup);

    List<Long> directLatencies = new ArrayList<>();
    List<Long> gatewayLatencies = new ArrayList<>();
    double directSeconds = 0;
    double gatewaySeconds = 0;
    Cpu cpu = new Cpu(gateway.pid());
    Map<String, double[]> usage = new LinkedHashMap<>();
    for (int round = 1; round <= rounds; round++) {
      for (Target t : List.of(direct, relayed)) {
        cpu.start();
        Run run = drive(t, requests);
        usage.merge(t.name, cpu.stop(run.seconds), RelayBench::add);
        log(String.format(Locale.ROOT, "round %d %-7s %8.0f calls/s  p50 %.3f ms  p99 %.3f ms  errors %d",
            round, t.name, requests / run.seconds, ms(percentile(run.latencies, 50)), ms(percentile(run.latencies, 99)),
            run.errors));
        if (run.errors > 0) {
          throw new IllegalStateException(run.errors + " failed calls in " + t.name + " round " + round);
        }
        if (t == direct) {
          directLatencies.addAll(run.latencies);
          directSeconds += run.seconds;
        } else {
          gatewayLatencies.addAll(run.latencies);
          gatewaySeconds += run.seconds;
        }
      }
    }
    report("direct", directLatencies, directSeconds, usage.get("direct"));
    report("gateway", gatewayLatencies, gatewaySeconds, usage.get("gateway"));
    double dp50 = ms(percentile(gatewayLatencies, 50)) - ms(percentile(directLatencies, 50));
    double dp99 = ms(percentile(gatewayLatencies, 99)) - ms(percentile(directLatencies, 99));
    double ratio = (gatewayLatencies.size() / gatewaySeconds) / (directLatencies.size() / directSeconds);
    results.put("delta_p50_ms", fmt(dp50));
    results.put("delta_p99_ms", fmt(dp99));
    results.put("throughput_ratio", fmt(ratio));
    results.put("concurrency", String.valueOf(concurrency));
    results.put("audited", String.valueOf(audited));
    results.put("loadavg_end", Files.readString(Path.of("/proc/loadavg")).strip());
    System.out.printf(Locale.ROOT, "%nΔp50 %.3f ms (target ≤ 1)  Δp99 %.3f ms (target ≤ 5)  throughput %.2f× direct (target ≥ 0.8)%n",
        dp50, dp99, ratio);
    StringBuilder out = new StringBuilder();
    results.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
    System.out.print(out);
    String file = System.getenv("BENCH_OUT");
    if (file != null) {
      Files.writeString(Path.of(file), out);
    }
    upstream.disposeNow();
  }

  void report(String name, List<Long> latencies, double seconds, double[] cores) {
    results.put(name + ".calls_per_s", fmt(latencies.size() / seconds));
    results.put(name + ".p50_ms", fmt(ms(percentile(latencies, 50))));
    results.put(name + ".p90_ms", fmt(ms(percentile(latencies, 90))));
    results.put(name + ".p99_ms", fmt(ms(percentile(latencies, 99))));
    results.put(name + ".cores_machine", fmt(cores[0] / rounds));
    results.put(name + ".cores_gateway", fmt(cores[1] / rounds));
    results.put(name + ".cores_bench_jvm", fmt(cores[2] / rounds));
    results.put(name + ".cores_everything_else", fmt(Math.max(0, cores[0] - cores[1] - cores[2]) / rounds));
    // CPU per call: the figure to compare between builds (throughput is noisy on a shared machine)
    double n = latencies.size();
    results.put(name + ".gateway_cpu_ms_per_call", fmt((cores[3] + cores[4]) * 1000 / n));
    results.put(name + ".gateway_cpu_ms_per_call_user", fmt(cores[3] * 1000 / n));
    results.put(name + ".gateway_cpu_ms_per_call_sys", fmt(cores[4] * 1000 / n));
    results.put(name + ".bench_jvm_cpu_ms_per_call", fmt(cores[5] * 1000 / n));
  }

  // ---------------------------------------------------------------- the driver

  record Target(String name, String url, String tool, boolean gateway) {}

  record Run(List<Long> latencies, double seconds, int errors) {}

  /** {@code count} calls in a closed loop, {@code concurrency} outstanding; latencies in ns. */
  Run drive(Target t, int count) throws Exception {
    long[] latencies = new long[count];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger errors = new AtomicInteger();
    AtomicLong done = new AtomicLong();
    long start = System.nanoTime();
    List<CompletableFuture<Void>> workers = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      workers.add(loop(t, next, count, latencies, errors, done));
    }
    CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get();
    double seconds = (System.nanoTime() - start) / 1e9;
    List<Long> list = new ArrayList<>(count);
    for (long l : latencies) {
      list.add(l);
    }
    return new Run(list, seconds, errors.get());
  }

  CompletableFuture<Void> loop(Target t, AtomicInteger next, int count, long[] latencies, AtomicInteger errors,
      AtomicLong done) {
    int i = next.getAndIncrement();
    if (i >= count) {
      return CompletableFuture.completedFuture(null);
    }
    long start = System.nanoTime();
    return http.sendAsync(request(t, i), HttpResponse.BodyHandlers.ofString())
        .thenCompose(response -> {
          latencies[i] = System.nanoTime() - start;
          if (response.statusCode() != 200 || !response.body().contains("\"result\"")) {
            if (errors.incrementAndGet() <= 3) {
              log(t.name + " call failed: " + response.statusCode() + " " + response.body());
            }
          }
          done.incrementAndGet();
          return loop(t, next, count, latencies, errors, done);
        });
  }

  HttpRequest request(Target t, int i) {
    ObjectNode body = JSON.createObjectNode();
    body.put("jsonrpc", "2.0");
    body.put("id", i);
    body.put("method", "tools/call");
    ObjectNode params = body.putObject("params");
    params.put("name", t.tool);
    params.putObject("arguments").put("text", "hello").put("n", i);
    ObjectNode meta = params.putObject("_meta");
    meta.put("io.modelcontextprotocol/protocolVersion", VERSION);
    meta.putObject("io.modelcontextprotocol/clientInfo").put("name", "relay-bench").put("version", "1");
    meta.putObject("io.modelcontextprotocol/clientCapabilities");
    if (t.gateway && !audited) {
      meta.put("dev.orca/executionId", "00000000-0000-0000-0000-000000000001");
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(t.url))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", VERSION)
        .header("Mcp-Method", "tools/call")
        .header("Mcp-Name", t.tool)
        .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    if (t.gateway) {
      b.header("Authorization", "Bearer " + TOKEN);
    }
    return b.build();
  }

  // ---------------------------------------------------------------- the upstream (instant, modern)

  static Mono<Void> upstream(HttpServerRequest req, HttpServerResponse res) {
    return req.receive().aggregate().asString(StandardCharsets.UTF_8).flatMap(text -> {
      JsonNode message = JSON.readTree(text);
      ObjectNode response = JSON.createObjectNode();
      response.put("jsonrpc", "2.0");
      response.set("id", message.get("id"));
      ObjectNode result = response.putObject("result");
      switch (message.path("method").asString("")) {
        case "server/discover" -> {
          result.putArray("supportedVersions").add(VERSION);
          result.putObject("capabilities").putObject("tools");
          result.putObject("serverInfo").put("name", "bench-upstream").put("version", "1");
        }
        case "tools/list" -> {
          ObjectNode tool = result.putArray("tools").addObject();
          tool.put("name", "echo");
          tool.putObject("inputSchema").put("type", "object");
        }
        case "tools/call" -> {
          JsonNode args = message.path("params").path("arguments");
          result.putArray("content").addObject().put("type", "text").put("text", JSON.writeValueAsString(args));
          result.set("structuredContent", args);
          result.put("isError", false);
        }
        default -> {
          response.remove("result");
          response.putObject("error").put("code", -32601).put("message", "Method not found");
          return res.status(404).header("Content-Type", "application/json")
              .sendString(Mono.just(JSON.writeValueAsString(response))).then();
        }
      }
      result.put("resultType", "complete");
      return res.status(200).header("Content-Type", "application/json")
          .sendString(Mono.just(JSON.writeValueAsString(response))).then();
    });
  }

  // ---------------------------------------------------------------- the gateway process

  void startGateway(TestDatabase db, int port) throws Exception {
    String jar = System.getenv().getOrDefault("BENCH_GATEWAY_JAR", "mcp-gateway/target/mcp-gateway.jar");
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(Arrays.asList(System.getenv().getOrDefault("BENCH_GATEWAY_JAVA_OPTS", "-Xms512m -Xmx512m").split(" ")));
    command.addAll(List.of("-jar", jar));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of(System.getenv().getOrDefault("BENCH_GATEWAY_LOG",
            "/tmp/relay-bench-gateway.log")).toFile()));
    Map<String, String> env = pb.environment();
    env.put("SERVER_PORT", String.valueOf(port));
    env.put("SERVER_ADDRESS", "127.0.0.1");
    env.put("ORCA_DB_URL", db.url());
    env.put("ORCA_DB_USER", db.username());
    env.put("ORCA_DB_PASSWORD", db.password());
    env.put("ORCA_API_TOKENS", TOKEN);
    env.put("ORCA_GATEWAY_UPSTREAM_ALLOWED_HOSTS", "127.0.0.1");
    env.put("ORCA_GATEWAY_UPSTREAM_ALLOWED_NETWORKS", "127.0.0.0/8");
    env.put("ORCA_GATEWAY_UPSTREAM_MAX_CONCURRENT_CALLS", "4096");
    env.put("LOGGING_LEVEL_ROOT", "WARN");
    gateway = pb.start();
    log("gateway pid " + gateway.pid() + " on port " + port);
    for (int i = 0; i < 240; i++) {
      try {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
        if (health.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // starting
      }
      if (!gateway.isAlive()) {
        throw new IllegalStateException("the gateway exited: see its log");
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("the gateway did not become healthy in 120 s");
  }

  void register(int port, String upstreamUrl) throws Exception {
    String body = "{\"name\":\"bench\",\"endpoint\":\"" + upstreamUrl + "\"}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/mcp-servers"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + TOKEN)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new IllegalStateException("registering the upstream: " + r.statusCode() + " " + r.body());
    }
  }

  // ---------------------------------------------------------------- CPU accounting

  /**
   * Cores used during a phase: the whole machine, the gateway process, this JVM; then CPU seconds: the
   * gateway's user and system time, this JVM's (from /proc).
   */
  static final class Cpu {
    static final double TICKS = 100.0;
    final long gatewayPid;
    long machine;
    long[] gatewayTicks;
    long self;

    Cpu(long gatewayPid) {
      this.gatewayPid = gatewayPid;
    }

    void start() throws IOException {
      machine = machineBusy();
      gatewayTicks = userSystemTicks(gatewayPid);
      self = processTicks(ProcessHandle.current().pid());
    }

    double[] stop(double seconds) throws IOException {
      long[] gw = userSystemTicks(gatewayPid);
      double gwUser = (gw[0] - gatewayTicks[0]) / TICKS;
      double gwSys = (gw[1] - gatewayTicks[1]) / TICKS;
      double selfSeconds = (processTicks(ProcessHandle.current().pid()) - self) / TICKS;
      return new double[] {(machineBusy() - machine) / TICKS / seconds, (gwUser + gwSys) / seconds,
          selfSeconds / seconds, gwUser, gwSys, selfSeconds};
    }

    static long machineBusy() throws IOException {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length; i++) {
        if (i != 4 && i != 5) { // idle, iowait
          busy += Long.parseLong(f[i]);
        }
      }
      return busy;
    }

    static long processTicks(long pid) throws IOException {
      long[] t = userSystemTicks(pid);
      return t[0] + t[1];
    }

    static long[] userSystemTicks(long pid) throws IOException {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])}; // utime, stime
    }
  }

  // ---------------------------------------------------------------- small things

  static double[] add(double[] a, double[] b) {
    double[] sum = a.clone();
    for (int i = 0; i < sum.length; i++) {
      sum[i] += b[i];
    }
    return sum;
  }

  static long percentile(List<Long> values, double p) {
    long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  static double ms(long nanos) {
    return nanos / 1e6;
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  static int intEnv(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static void log(String line) {
    System.out.println("[relay-bench] " + line);
  }
}

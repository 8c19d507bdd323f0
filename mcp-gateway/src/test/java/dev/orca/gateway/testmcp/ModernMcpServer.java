package dev.orca.gateway.testmcp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import io.netty.channel.Channel;
import java.util.Set;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A modern-era MCP server (2026-07-28, stateless) for tests, on Reactor Netty at {@code 127.0.0.1}.
 * Strict where the revision says a server MUST be: {@code MCP-Protocol-Version} equal to
 * {@code _meta["io.modelcontextprotocol/protocolVersion"]} (else 400 -32020), a version other than
 * 2026-07-28 (400 -32022), {@code Mcp-Method} equal to the method and {@code Mcp-Name} to the tool (400
 * -32020); {@code initialize} and other unknown methods are 404 -32601. Answers {@code server/discover},
 * {@code tools/list} (pages of {@link #pageSize}, cursor = index) and {@code tools/call}, as JSON or — for
 * tools registered with {@code sse} — as an event stream with two progress notifications first.
 *
 * <p>It can be {@link #stop stopped} and {@link #restart restarted} on the same port. What it saw:
 * {@link #calls()}, {@link #headers()}, {@link #cancelledCalls()} (calls whose stream the client closed).
 */
public final class ModernMcpServer implements AutoCloseable {
  public static final String VERSION = "2026-07-28";
  private static final JsonMapper json = JsonMapper.builder().build();

  private record Tool(ObjectNode definition, Function<JsonNode, Mono<JsonNode>> handler, boolean sse) {}

  private final Map<String, Tool> tools = new ConcurrentSkipListMap<>();
  private final List<JsonNode> calls = new CopyOnWriteArrayList<>();
  private final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
  private final AtomicInteger cancelled = new AtomicInteger();
  private final AtomicInteger failNext = new AtomicInteger();
  private final Map<String, String> requiredHeaders = new ConcurrentHashMap<>();
  private volatile int pageSize = 2;
  private volatile int port;
  private volatile DisposableServer server;
  private final Set<Channel> open = ConcurrentHashMap.newKeySet();

  private ModernMcpServer() {}

  public static ModernMcpServer start() {
    ModernMcpServer mcp = new ModernMcpServer();
    mcp.bind(0);
    return mcp;
  }

  private void bind(int at) {
    server = HttpServer.create().host("127.0.0.1").port(at)
        .doOnChannelInit((observer, channel, address) -> {
          open.add(channel);
          channel.closeFuture().addListener(f -> open.remove(channel));
        })
        .route(routes -> routes.post("/mcp", this::post)
            .get("/mcp", (req, res) -> res.status(405).send()))
        .bindNow(Duration.ofSeconds(10));
    port = server.port();
  }

  public String url() {
    return "http://127.0.0.1:" + port + "/mcp";
  }

  /** A tool answering {@code application/json}; {@code definition} is merged into the tool's listing. */
  public ModernMcpServer tool(String name, Function<JsonNode, Mono<JsonNode>> handler) {
    return tool(name, null, handler, false);
  }

  public ModernMcpServer tool(String name, ObjectNode definition, Function<JsonNode, Mono<JsonNode>> handler,
      boolean sse) {
    ObjectNode d = definition == null ? json.createObjectNode() : definition.deepCopy();
    d.put("name", name);
    if (!d.has("inputSchema")) {
      d.putObject("inputSchema").put("type", "object");
    }
    tools.put(name, new Tool(d, handler, sse));
    return this;
  }

  public ModernMcpServer pageSize(int size) {
    this.pageSize = size;
    return this;
  }

  /** From now on every request needs this header with this value (else 401). */
  public ModernMcpServer requireHeader(String name, String value) {
    requiredHeaders.put(name, value);
    return this;
  }

  public List<JsonNode> calls() {
    return List.copyOf(calls);
  }

  /** The headers of every request, in arrival order (names lower-cased). */
  public List<Map<String, String>> headers() {
    return List.copyOf(headers);
  }

  /** The next {@code n} {@code tools/call} requests are answered HTTP 503 (after being recorded in {@link #calls()}). */
  public ModernMcpServer failNext(int n) {
    failNext.set(n);
    return this;
  }

  public int cancelledCalls() {
    return cancelled.get();
  }

  /** Closes the listening socket (connections are then refused) until {@link #restart}. */
  public void stop() {
    server.disposeNow(Duration.ofSeconds(5));
    // Kept-alive connections too, and wait until they are closed: a close merely scheduled could let a request
    // already on its way through on that connection, and the gateway must see the server gone.
    for (Channel channel : List.copyOf(open)) {
      channel.close().awaitUninterruptibly(5_000);
    }
  }

  public void restart() {
    bind(port);
  }

  @Override
  public void close() {
    if (!server.isDisposed()) {
      stop();
    }
  }

  private Mono<Void> post(HttpServerRequest req, HttpServerResponse res) {
    Map<String, String> seen = new ConcurrentHashMap<>();
    req.requestHeaders().forEach(h -> seen.put(h.getKey().toLowerCase(), h.getValue()));
    headers.add(seen);
    for (Map.Entry<String, String> required : requiredHeaders.entrySet()) {
      if (!required.getValue().equals(req.requestHeaders().get(required.getKey()))) {
        return res.status(401).send();
      }
    }
    return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("").flatMap(body -> {
      JsonNode message = json.readTree(body);
      JsonNode id = message.get("id");
      String method = message.path("method").asString("");
      JsonNode params = message.path("params");
      String version = params.path("_meta").path("io.modelcontextprotocol/protocolVersion").asString(null);
      String header = req.requestHeaders().get("MCP-Protocol-Version");
      if (version == null || header == null || !header.equals(version)) {
        return error(res, 400, id, -32020, "Header mismatch: MCP-Protocol-Version '" + header + "' vs _meta '" + version + "'", null);
      }
      if (!VERSION.equals(version)) {
        ObjectNode data = json.createObjectNode();
        data.putArray("supported").add(VERSION);
        data.put("requested", version);
        return error(res, 400, id, -32022, "Unsupported protocol version", data);
      }
      if (!method.equals(req.requestHeaders().get("Mcp-Method"))) {
        return error(res, 400, id, -32020, "Header mismatch: Mcp-Method", null);
      }
      if (method.equals("tools/call") && !params.path("name").asString("").equals(decode(req.requestHeaders().get("Mcp-Name")))) {
        return error(res, 400, id, -32020, "Header mismatch: Mcp-Name", null);
      }
      return switch (method) {
        case "server/discover" -> result(res, id, discover());
        case "tools/list" -> result(res, id, page(params.path("cursor").asString("0")));
        case "tools/call" -> call(res, id, (ObjectNode) params);
        default -> error(res, 404, id, -32601, "Method not found: " + method, null);
      };
    });
  }

  private ObjectNode discover() {
    ObjectNode r = json.createObjectNode();
    r.putArray("supportedVersions").add(VERSION);
    r.putObject("capabilities").putObject("tools");
    r.putObject("serverInfo").put("name", "modern-upstream").put("version", "1.0.0");
    return r;
  }

  private ObjectNode page(String cursor) {
    int from = Integer.parseInt(cursor);
    List<Tool> all = List.copyOf(tools.values());
    ObjectNode r = json.createObjectNode();
    ArrayNode list = r.putArray("tools");
    all.stream().skip(from).limit(pageSize).forEach(t -> list.add(t.definition().deepCopy()));
    if (from + pageSize < all.size()) {
      r.put("nextCursor", String.valueOf(from + pageSize));
    }
    return r;
  }

  private Mono<Void> call(HttpServerResponse res, JsonNode id, ObjectNode params) {
    calls.add(params.deepCopy());
    if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      return res.status(503).send();
    }
    Tool tool = tools.get(params.path("name").asString(""));
    if (tool == null) {
      return error(res, 200, id, -32602, "Unknown tool: " + params.path("name").asString(""), null);
    }
    Mono<JsonNode> result = tool.handler().apply(params.path("arguments"))
        .doOnCancel(cancelled::incrementAndGet);
    if (!tool.sse()) {
      return result.flatMap(r -> result(res, id, r));
    }
    JsonNode token = params.path("_meta").get("progressToken");
    Flux<String> events = Flux.concat(
        token == null ? Flux.empty() : Flux.just(progress(token, 1), progress(token, 2)),
        result.map(r -> json.writeValueAsString(response(id, r))));
    return res.status(200).header("Content-Type", "text/event-stream")
        .sendString(events.map(e -> "event: message\ndata: " + e + "\n\n"))
        .then();
  }

  private static String progress(JsonNode token, int n) {
    ObjectNode m = json.createObjectNode();
    m.put("jsonrpc", "2.0");
    m.put("method", "notifications/progress");
    ObjectNode p = m.putObject("params");
    p.set("progressToken", token);
    p.put("progress", n);
    p.put("total", 2);
    return json.writeValueAsString(m);
  }

  private static ObjectNode response(JsonNode id, JsonNode result) {
    ObjectNode r = json.createObjectNode();
    r.put("jsonrpc", "2.0");
    r.set("id", id);
    ObjectNode copy = ((ObjectNode) result).deepCopy();
    copy.put("resultType", "complete");
    r.set("result", copy);
    return r;
  }

  private static Mono<Void> result(HttpServerResponse res, JsonNode id, JsonNode result) {
    return res.status(200).header("Content-Type", "application/json")
        .sendString(Mono.just(json.writeValueAsString(response(id, result)))).then();
  }

  private static Mono<Void> error(HttpServerResponse res, int status, JsonNode id, int code, String message, JsonNode data) {
    ObjectNode r = json.createObjectNode();
    r.put("jsonrpc", "2.0");
    if (id != null) {
      r.set("id", id);
    }
    ObjectNode e = r.putObject("error");
    e.put("code", code);
    e.put("message", message);
    if (data != null) {
      e.set("data", data);
    }
    return res.status(status).header("Content-Type", "application/json")
        .sendString(Mono.just(json.writeValueAsString(r))).then();
  }

  private static String decode(String value) {
    if (value != null && value.startsWith("=?base64?") && value.endsWith("?=")) {
      return new String(Base64.getDecoder().decode(value.substring(9, value.length() - 2)), StandardCharsets.UTF_8);
    }
    return value;
  }
}

package dev.orca.orchestrator.testmcp;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A real MCP server for tests, on Reactor Netty at {@code 127.0.0.1} and a random port: Streamable HTTP
 * (protocol revisions 2025-03-26 to 2025-11-25) with sessions, answering {@code tools/call} as
 * {@code application/json}, or as {@code text/event-stream} (a {@code notifications/progress} event, then
 * the response) for tools registered with {@link #sseTool}.
 *
 * <p>It is strict where the spec says a client MUST: {@code Accept} naming both media types (else 406),
 * {@code Mcp-Session-Id} after initialize (400 without, 404 when unknown or {@link #expireSessions
 * expired}), {@code MCP-Protocol-Version} equal to the negotiated one (else 400), and the bearer token set
 * with {@link #requireToken} (else 401).
 *
 * <p>Handlers get the call's {@code arguments} and emit the MCP result (see {@link ToolScript}); a handler
 * error {@link HttpFailure} answers that HTTP status, {@link RpcFailure} a JSON-RPC error. What the server
 * saw: {@link #calls()} (every {@code tools/call}'s params incl. {@code _meta}, in order),
 * {@link #disconnectedCalls()} (calls whose connection closed before their response was written),
 * {@link #cancelNotifications()}, {@link #initializeCount()}.
 */
public final class LocalMcpServer implements AutoCloseable {
  private static final JsonMapper json = JsonMapper.builder().build();
  private static final Set<String> VERSIONS = Set.of("2025-11-25", "2025-06-18", "2025-03-26");
  private static final String SESSION = "Mcp-Session-Id";
  private static final String VERSION = "MCP-Protocol-Version";

  /** A handler error that makes the server answer with this HTTP status (and no JSON-RPC body). */
  public static final class HttpFailure extends RuntimeException {
    final int status;

    public HttpFailure(int status) {
      super("HTTP " + status, null, false, false);
      this.status = status;
    }
  }

  /** A handler error that makes the server answer with a JSON-RPC error. */
  public static final class RpcFailure extends RuntimeException {
    final int code;

    public RpcFailure(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  private record Tool(Function<JsonNode, Mono<JsonNode>> handler, boolean sse) {}

  private final Map<String, Tool> tools = new ConcurrentHashMap<>();
  private final Map<String, String> sessions = new ConcurrentHashMap<>(); // id -> protocol version
  private final List<JsonNode> calls = new CopyOnWriteArrayList<>();
  private final List<JsonNode> cancelNotifications = new CopyOnWriteArrayList<>();
  private final AtomicInteger initializeCount = new AtomicInteger();
  private final AtomicInteger disconnected = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile String token;
  private DisposableServer server;

  private LocalMcpServer() {}

  /** Starts a server on a random local port. */
  public static LocalMcpServer start() {
    LocalMcpServer mcp = new LocalMcpServer();
    mcp.server = HttpServer.create()
        .host("127.0.0.1")
        .port(0)
        .route(routes -> routes
            .post("/mcp", mcp::post)
            .delete("/mcp", mcp::delete)
            .get("/mcp", (req, res) -> res.status(405).send()))
        .bindNow(Duration.ofSeconds(10));
    return mcp;
  }

  /** The MCP endpoint, {@code http://127.0.0.1:PORT/mcp}. */
  public String url() {
    return "http://127.0.0.1:" + server.port() + "/mcp";
  }

  /** Registers a tool answered as {@code application/json}. */
  public LocalMcpServer tool(String name, Function<JsonNode, Mono<JsonNode>> handler) {
    tools.put(name, new Tool(handler, false));
    return this;
  }

  /** Registers a tool answered as {@code text/event-stream}: a progress notification, then the response. */
  public LocalMcpServer sseTool(String name, Function<JsonNode, Mono<JsonNode>> handler) {
    tools.put(name, new Tool(handler, true));
    return this;
  }

  /** From now on, every request must carry {@code Authorization: Bearer token}. */
  public LocalMcpServer requireToken(String token) {
    this.token = token;
    return this;
  }

  /** Forgets every session: the next request on one gets 404, as after a gateway restart. */
  public void expireSessions() {
    sessions.clear();
  }

  /** Every {@code tools/call}'s params ({@code name}, {@code arguments}, {@code _meta}), in arrival order. */
  public List<JsonNode> calls() {
    return List.copyOf(calls);
  }

  /** {@code tools/call} requests whose connection closed before their response was written. */
  public int disconnectedCalls() {
    return disconnected.get();
  }

  /** Params of every {@code notifications/cancelled} received. */
  public List<JsonNode> cancelNotifications() {
    return List.copyOf(cancelNotifications);
  }

  /** {@code tools/call} requests being handled now. */
  public int inFlightCalls() {
    return inFlight.get();
  }

  public int initializeCount() {
    return initializeCount.get();
  }

  @Override
  public void close() {
    server.disposeNow(Duration.ofSeconds(5));
  }

  // ---------------------------------------------------------------- protocol

  private Mono<Void> delete(HttpServerRequest req, HttpServerResponse res) {
    String id = req.requestHeaders().get(SESSION);
    return res.status(id != null && sessions.remove(id) != null ? 200 : 404).send().then();
  }

  private Mono<Void> post(HttpServerRequest req, HttpServerResponse res) {
    return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
        .flatMap(body -> dispatch(req, res, body));
  }

  private Mono<Void> dispatch(HttpServerRequest req, HttpServerResponse res, String body) {
    if (token != null && !("Bearer " + token).equals(req.requestHeaders().get("Authorization"))) {
      return res.status(401).send().then();
    }
    String accept = String.valueOf(req.requestHeaders().get("Accept"));
    if (!accept.contains("application/json") || !accept.contains("text/event-stream")) {
      return res.status(406).send().then();
    }
    JsonNode message;
    try {
      message = json.readTree(body);
    } catch (RuntimeException e) {
      return sendJson(res, 400, error(null, -32700, "Parse error"));
    }
    String method = message.path("method").asString("");
    JsonNode id = message.get("id");
    if (method.equals("initialize")) {
      return initialize(res, id, message.path("params"));
    }
    String sessionId = req.requestHeaders().get(SESSION);
    if (sessionId == null) {
      return sendJson(res, 400, error(id, -32600, "Bad Request: missing " + SESSION));
    }
    String version = sessions.get(sessionId);
    if (version == null) {
      return sendJson(res, 404, error(id, -32001, "Session not found"));
    }
    if (!version.equals(req.requestHeaders().get(VERSION))) {
      return sendJson(res, 400, error(id, -32600, "Bad Request: " + VERSION + " must be " + version));
    }
    if (id == null) { // a notification
      if (method.equals("notifications/cancelled")) {
        cancelNotifications.add(message.path("params"));
      }
      return res.status(202).send().then();
    }
    return switch (method) {
      case "tools/call" -> callTool(req, res, id, message.path("params"));
      case "tools/list" -> sendJson(res, 200, toolList(id));
      case "ping" -> sendJson(res, 200, response(id, json.createObjectNode()));
      default -> sendJson(res, 200, error(id, -32601, "Method not found: " + method));
    };
  }

  private Mono<Void> initialize(HttpServerResponse res, JsonNode id, JsonNode params) {
    initializeCount.incrementAndGet();
    String requested = params.path("protocolVersion").asString("");
    String version = VERSIONS.contains(requested) ? requested : "2025-06-18";
    String sessionId = UUID.randomUUID().toString();
    sessions.put(sessionId, version);
    ObjectNode result = json.createObjectNode();
    result.put("protocolVersion", version);
    result.putObject("capabilities").putObject("tools");
    result.putObject("serverInfo").put("name", "local-mcp").put("version", "1.0.0");
    res.header(SESSION, sessionId);
    return sendJson(res, 200, response(id, result));
  }

  private Mono<Void> callTool(HttpServerRequest req, HttpServerResponse res, JsonNode id, JsonNode params) {
    calls.add(params);
    Tool tool = tools.get(params.path("name").asString(""));
    if (tool == null) {
      return sendJson(res, 200, error(id, -32602, "Unknown tool: " + params.path("name").asString("")));
    }
    AtomicBoolean finished = new AtomicBoolean();
    Runnable gone = () -> {
      if (finished.compareAndSet(false, true)) {
        disconnected.incrementAndGet();
      }
    };
    res.withConnection(connection -> connection.onDispose(gone::run));
    inFlight.incrementAndGet();
    Mono<JsonNode> answer = Mono.defer(() -> tool.handler().apply(params.path("arguments")))
        .map(result -> (JsonNode) response(id, result))
        .onErrorResume(RpcFailure.class, e -> Mono.<JsonNode>just(error(id, e.code, e.getMessage())));
    Mono<Void> exchange;
    if (tool.sse()) {
      res.status(200).header("Content-Type", "text/event-stream").header("Cache-Control", "no-cache");
      Flux<String> events = Flux.concat(
          Mono.just(event(progress(params))),
          answer.doOnNext(r -> finished.set(true)).map(LocalMcpServer::event));
      exchange = res.sendString(events).then()
          .onErrorResume(HttpFailure.class, e -> Mono.empty()); // headers are out: the stream just ends
    } else {
      exchange = answer
          .doOnNext(r -> finished.set(true))
          .flatMap(r -> sendJson(res, 200, r))
          .onErrorResume(HttpFailure.class, e -> {
            finished.set(true);
            return res.status(e.status).send().then();
          })
          .onErrorResume(e -> !(e instanceof HttpFailure), e -> {
            finished.set(true);
            return sendJson(res, 500, error(id, -32603, "Internal error: " + e.getMessage()));
          });
    }
    return exchange
        .doOnCancel(gone)
        .doFinally(signal -> inFlight.decrementAndGet());
  }

  private ObjectNode toolList(JsonNode id) {
    ObjectNode result = json.createObjectNode();
    var list = result.putArray("tools");
    tools.keySet().stream().sorted().forEach(name -> {
      ObjectNode t = list.addObject();
      t.put("name", name);
      t.putObject("inputSchema").put("type", "object");
    });
    return response(id, result);
  }

  private static ObjectNode progress(JsonNode params) {
    ObjectNode notification = json.createObjectNode();
    notification.put("jsonrpc", "2.0");
    notification.put("method", "notifications/progress");
    ObjectNode p = notification.putObject("params");
    JsonNode token = params.path("_meta").get("progressToken");
    if (token != null) {
      p.set("progressToken", token);
    } else {
      p.put("progressToken", "local");
    }
    p.put("progress", 0);
    p.put("message", "working");
    return notification;
  }

  private static String event(JsonNode message) {
    return "event: message\ndata: " + json.writeValueAsString(message) + "\n\n";
  }

  private static ObjectNode response(JsonNode id, JsonNode result) {
    ObjectNode r = json.createObjectNode();
    r.put("jsonrpc", "2.0");
    r.set("id", id);
    r.set("result", result);
    return r;
  }

  private static ObjectNode error(JsonNode id, int code, String message) {
    ObjectNode r = json.createObjectNode();
    r.put("jsonrpc", "2.0");
    r.set("id", id);
    r.putObject("error").put("code", code).put("message", message);
    return r;
  }

  private static Mono<Void> sendJson(HttpServerResponse res, int status, JsonNode body) {
    return res.status(status)
        .header("Content-Type", "application/json")
        .sendString(Mono.just(json.writeValueAsString(body)))
        .then();
  }
}

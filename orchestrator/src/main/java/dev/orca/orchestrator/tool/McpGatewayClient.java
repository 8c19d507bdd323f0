package dev.orca.orchestrator.tool;

import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A small MCP client for the gateway over Streamable HTTP (protocol revisions 2025-03-26 to 2025-11-25):
 * {@code initialize} and {@code notifications/initialized} once, then requests on that session with the
 * {@code Mcp-Session-Id} and {@code MCP-Protocol-Version} headers. Answers may come as
 * {@code application/json} or as a {@code text/event-stream} carrying the JSON-RPC response (possibly after
 * progress notifications, which are skipped).
 *
 * <p>One session is shared by every call (concurrency-safe); a 404 on it means the gateway forgot it, and
 * the call is retried once on a new session. Cancelling a request's {@code Mono} closes its HTTP exchange
 * (Reactor Netty drops a connection whose response was not fully read) and sends
 * {@code notifications/cancelled} for its id, for gateways that do not treat a disconnect as cancellation.
 *
 * <p>Errors are {@link StepFailure}s: {@code PROTOCOL} (not retryable) for a JSON-RPC error, HTTP 4xx and
 * malformed answers; {@code TRANSPORT} (retryable) for HTTP 5xx/408/429, refused or reset connections and
 * streams that end without the response.
 */
public final class McpGatewayClient implements AutoCloseable {
  static final String PROTOCOL_VERSION = "2025-11-25";
  static final List<String> SUPPORTED_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26");
  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";

  private static final Logger log = LoggerFactory.getLogger(McpGatewayClient.class);
  private static final JsonMapper json = JsonMapper.builder().build();
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};
  private static final Duration NOTIFICATION_TIMEOUT = Duration.ofSeconds(10);

  private final URI url;
  private final String token;
  private final Duration initializeTimeout;
  private final ConnectionProvider connections;
  private final WebClient web;
  private final AtomicLong ids = new AtomicLong();
  private final AtomicReference<CompletableFuture<Session>> session = new AtomicReference<>();

  /** An initialized session; {@code id} is null when the gateway runs without sessions. */
  record Session(String id, String protocolVersion) {}

  /** The gateway no longer knows the session (HTTP 404 on a request that carried it). */
  private static final class SessionExpired extends RuntimeException {
    SessionExpired() {
      super("MCP session expired", null, false, false);
    }
  }

  /**
   * @param url the gateway's MCP endpoint, e.g. {@code http://localhost:8081/mcp}
   * @param token bearer token, or null/blank for none; never logged or stored
   * @param initializeTimeout how long {@code initialize} may take before the session attempt fails
   */
  public McpGatewayClient(String url, String token, Duration initializeTimeout) {
    this.url = URI.create(url);
    this.token = token == null || token.isBlank() ? null : token.strip();
    this.initializeTimeout = initializeTimeout;
    this.connections = ConnectionProvider.builder("orca-mcp-gateway")
        .maxConnections(500)
        .pendingAcquireMaxCount(-1)
        .maxIdleTime(Duration.ofSeconds(30))
        .build();
    HttpClient http = HttpClient.create(connections)
        .option(io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    this.web = WebClient.builder()
        .clientConnector(new ReactorClientHttpConnector(http))
        .codecs(c -> c.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
        .build();
  }

  String url() {
    return url.toString();
  }

  /**
   * {@code tools/call} of {@code name} with {@code arguments} and {@code _meta}; emits the JSON-RPC
   * {@code result} object, whole.
   */
  public Mono<JsonNode> callTool(String name, JsonNode arguments, ObjectNode meta) {
    ObjectNode params = json.createObjectNode();
    params.put("name", name);
    params.set("arguments", arguments == null || arguments.isNull() ? json.createObjectNode() : arguments);
    if (meta != null && !meta.isEmpty()) {
      params.set("_meta", meta);
    }
    return request("tools/call", params);
  }

  /** One JSON-RPC request on the shared session (re-initialized once if the gateway expired it). */
  public Mono<JsonNode> request(String method, ObjectNode params) {
    return session()
        .flatMap(s -> send(s, method, params)
            .onErrorResume(SessionExpired.class, expired -> {
              log.info("MCP gateway session expired; initializing a new one");
              invalidate(s);
              return session().flatMap(fresh -> send(fresh, method, params));
            }))
        .onErrorMap(e -> toFailure(e, method));
  }

  @Override
  public void close() {
    connections.dispose();
  }

  // ---------------------------------------------------------------- session

  private Mono<Session> session() {
    while (true) {
      CompletableFuture<Session> current = session.get();
      if (current != null) {
        // suppressCancel: a caller going away must not cancel the initialization others wait for
        return Mono.fromFuture(current, true);
      }
      CompletableFuture<Session> mine = new CompletableFuture<>();
      if (session.compareAndSet(null, mine)) {
        // Initialization runs detached from the caller (the spec forbids cancelling initialize).
        initialize()
            .timeout(initializeTimeout, Mono.error(() -> new StepFailure(Kind.TRANSPORT,
                "MCP gateway at " + url + " did not answer initialize within " + initializeTimeout.toMillis() + " ms")))
            .onErrorMap(e -> toFailure(e, "initialize"))
            .subscribe(mine::complete, e -> {
              session.compareAndSet(mine, null);
              mine.completeExceptionally(e);
            });
        return Mono.fromFuture(mine, true);
      }
    }
  }

  private void invalidate(Session expired) {
    CompletableFuture<Session> current = session.get();
    if (current != null && current.isDone() && !current.isCompletedExceptionally()
        && expired.equals(current.getNow(null))) {
      session.compareAndSet(current, null);
    }
  }

  private Mono<Session> initialize() {
    ObjectNode params = json.createObjectNode();
    params.put("protocolVersion", PROTOCOL_VERSION);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "orca-orchestrator").put("version", "0.1.0");
    long id = ids.incrementAndGet();
    return post(null, rpc(id, "initialize", params))
        .exchangeToMono(response -> {
          String sessionId = response.headers().asHttpHeaders().getFirst(SESSION_HEADER);
          return answer(response, id, null).map(result -> {
            String version = result.path("protocolVersion").asString("");
            if (!SUPPORTED_VERSIONS.contains(version)) {
              throw new StepFailure(Kind.PROTOCOL, "MCP gateway speaks protocol version '" + version
                  + "', this orchestrator supports " + SUPPORTED_VERSIONS);
            }
            return new Session(sessionId, version);
          });
        })
        .flatMap(s -> notify(s, "notifications/initialized", null).thenReturn(s))
        .doOnNext(s -> log.info("MCP gateway session initialized at {} (protocol {})", url, s.protocolVersion()));
  }

  // ---------------------------------------------------------------- exchanges

  private Mono<JsonNode> send(Session s, String method, ObjectNode params) {
    return Mono.defer(() -> {
      long id = ids.incrementAndGet();
      return post(s, rpc(id, method, params))
          .exchangeToMono(response -> answer(response, id, s))
          .doOnCancel(() -> cancelled(s, id));
    });
  }

  /** Tells the gateway a request was abandoned; fire-and-forget (the exchange itself is already closed). */
  private void cancelled(Session s, long id) {
    ObjectNode params = json.createObjectNode();
    params.put("requestId", id);
    params.put("reason", "cancelled by the orchestrator");
    notify(s, "notifications/cancelled", params)
        .timeout(NOTIFICATION_TIMEOUT)
        .subscribe(null, e -> log.debug("notifications/cancelled for request {} not delivered: {}", id, e.toString()));
  }

  private Mono<Void> notify(Session s, String method, ObjectNode params) {
    ObjectNode body = json.createObjectNode();
    body.put("jsonrpc", "2.0");
    body.put("method", method);
    if (params != null) {
      body.set("params", params);
    }
    return post(s, body).exchangeToMono(response -> {
      if (response.statusCode().is2xxSuccessful()) {
        return response.releaseBody();
      }
      return failure(response, s, -1).then();
    });
  }

  private WebClient.RequestHeadersSpec<?> post(Session s, ObjectNode body) {
    return web.post()
        .uri(url)
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.APPLICATION_JSON, MediaType.TEXT_EVENT_STREAM)
        .headers(h -> {
          if (token != null) {
            h.setBearerAuth(token);
          }
          if (s != null) {
            if (s.id() != null) {
              h.set(SESSION_HEADER, s.id());
            }
            h.set(VERSION_HEADER, s.protocolVersion());
          }
        })
        .bodyValue(json.writeValueAsString(body));
  }

  /** The JSON-RPC result for request {@code id} from a JSON or event-stream answer. */
  private Mono<JsonNode> answer(ClientResponse response, long id, Session s) {
    HttpStatusCode status = response.statusCode();
    if (!status.is2xxSuccessful()) {
      return failure(response, s, id);
    }
    MediaType type = response.headers().contentType().orElse(MediaType.APPLICATION_JSON);
    if (MediaType.TEXT_EVENT_STREAM.isCompatibleWith(type)) {
      return response.bodyToFlux(SSE)
          .filter(event -> event.data() != null && !event.data().isBlank())
          .map(event -> json.readTree(event.data()))
          .filter(message -> isResponseTo(message, id))
          .next()
          .switchIfEmpty(Mono.error(() -> new StepFailure(Kind.TRANSPORT,
              "MCP gateway's event stream ended before the response to request " + id)))
          .map(McpGatewayClient::result);
    }
    return response.bodyToMono(String.class)
        .switchIfEmpty(Mono.error(() -> new StepFailure(Kind.PROTOCOL,
            "MCP gateway answered HTTP " + status.value() + " without a JSON-RPC response")))
        .map(body -> {
          JsonNode message = json.readTree(body);
          if (message.isArray()) {
            for (JsonNode m : message) {
              if (isResponseTo(m, id)) {
                return result(m);
              }
            }
          } else if (isResponseTo(message, id)) {
            return result(message);
          }
          throw new StepFailure(Kind.PROTOCOL, "MCP gateway's answer is not the response to request " + id);
        });
  }

  private Mono<JsonNode> failure(ClientResponse response, Session s, long id) {
    int status = response.statusCode().value();
    if (status == 404 && s != null && s.id() != null) {
      return response.releaseBody().then(Mono.error(new SessionExpired()));
    }
    if (status == 401 || status == 403) {
      return response.releaseBody().then(Mono.error(new StepFailure(Kind.PROTOCOL, "MCP gateway refused the call (HTTP "
          + status + "): check the bearer token in ORCA_GATEWAY_TOKEN (orca.gateway.token)")));
    }
    if (status >= 500 || status == 408 || status == 429) {
      return response.releaseBody().then(Mono.error(new StepFailure(Kind.TRANSPORT,
          "MCP gateway answered HTTP " + status)));
    }
    return response.bodyToMono(String.class).defaultIfEmpty("").flatMap(body -> {
      try {
        JsonNode message = json.readTree(body);
        if (message.has("error")) {
          return Mono.error(rpcError(message.get("error")));
        }
      } catch (JacksonException notJson) {
        // fall through to the plain message
      }
      String snippet = body.length() > 200 ? body.substring(0, 200) + "…" : body;
      return Mono.error(new StepFailure(Kind.PROTOCOL, "MCP gateway answered HTTP " + status
          + (snippet.isBlank() ? "" : ": " + snippet.strip())));
    });
  }

  private static boolean isResponseTo(JsonNode message, long id) {
    JsonNode messageId = message.get("id");
    if (messageId == null || !(message.has("result") || message.has("error"))) {
      return false; // a notification or a server-to-client request on the stream
    }
    return messageId.isNumber() ? messageId.asLong() == id : String.valueOf(id).equals(messageId.asString(""));
  }

  private static JsonNode result(JsonNode response) {
    JsonNode error = response.get("error");
    if (error != null && !error.isNull()) {
      throw rpcError(error);
    }
    JsonNode result = response.get("result");
    if (result == null || !result.isObject()) {
      throw new StepFailure(Kind.PROTOCOL, "MCP gateway's response has no result object");
    }
    return result;
  }

  private static StepFailure rpcError(JsonNode error) {
    return new StepFailure(Kind.PROTOCOL, "gateway error " + error.path("code").asInt(0) + ": "
        + error.path("message").asString(""));
  }

  private static ObjectNode rpc(long id, String method, ObjectNode params) {
    ObjectNode body = json.createObjectNode();
    body.put("jsonrpc", "2.0");
    body.put("id", id);
    body.put("method", method);
    if (params != null) {
      body.set("params", params);
    }
    return body;
  }

  private Throwable toFailure(Throwable e, String method) {
    if (e instanceof StepFailure || e instanceof TimeoutException) {
      return e;
    }
    if (e instanceof SessionExpired) {
      return new StepFailure(Kind.TRANSPORT, "MCP gateway expired the session again on " + method);
    }
    if (e instanceof JacksonException) {
      return new StepFailure(Kind.PROTOCOL, "MCP gateway sent malformed JSON for " + method + ": "
          + ((JacksonException) e).getOriginalMessage(), e);
    }
    if (e instanceof WebClientRequestException) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return new StepFailure(Kind.TRANSPORT, "cannot reach the MCP gateway at " + url + ": " + cause, e);
    }
    return new StepFailure(Kind.TRANSPORT, "MCP gateway connection failed during " + method + ": " + e, e);
  }
}

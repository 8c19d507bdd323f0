package dev.orca.gateway.upstream;

import dev.orca.gateway.relay.RelayEvent;
import dev.orca.gateway.relay.RelayException;
import dev.orca.gateway.relay.Upstream;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.reactor.bulkhead.operator.BulkheadOperator;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.netty.channel.ChannelException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.ParameterizedTypeReference;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.springframework.core.ResolvableType;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ReactiveHttpInputMessage;
import org.springframework.http.codec.ServerSentEventHttpMessageReader;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SynchronousSink;
import reactor.util.retry.Retry;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A registered MCP server over Streamable HTTP, in whichever era it speaks.
 *
 * <p><b>Era</b>: the first request probes with a 2026-07-28 {@code server/discover}; a result, or a modern
 * error (-32020, -32021, or -32022 naming 2026-07-28), means modern: stateless requests with
 * {@code _meta} and the {@code MCP-Protocol-Version}/{@code Mcp-Method}/{@code Mcp-Name}/{@code Mcp-Param-*}
 * headers. Anything else means legacy: {@code initialize}, {@code notifications/initialized}, then
 * {@code Mcp-Session-Id} and {@code MCP-Protocol-Version} on every request; a 404 on the session
 * re-initializes once. The era is remembered until a legacy handshake is refused (then probed again).
 *
 * <p><b>Calls</b> get the server's timeout (whole call, progress included), a bulkhead (concurrent calls)
 * and a circuit breaker (opened by transport failures, 5xx and timeouts — never by tool errors or JSON-RPC
 * errors). A call is retried only when repeating cannot duplicate an effect: the connection was refused
 * (nothing sent), or the tool is annotated {@code idempotentHint: true}. Cancelling a call closes its HTTP
 * exchange (the modern cancellation) and, for legacy servers, also sends {@code notifications/cancelled}.
 *
 * <p><b>Listing</b>: {@code tools/list} pages are cached per cursor until a
 * {@code notifications/tools/list_changed} (on a response stream, or on the legacy GET stream when the
 * server offers one), {@link #invalidateTools()}, or the cache TTL.
 */
public final class RemoteUpstream implements Upstream, AutoCloseable {
  static final String MODERN_VERSION = "2026-07-28";
  static final List<String> LEGACY_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26");
  static final String META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
  static final String META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
  static final String META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  private static final List<String> PROTOCOL_META = List.of(META_PROTOCOL_VERSION, META_CLIENT_INFO,
      META_CLIENT_CAPABILITIES);
  private static final String SESSION_HEADER = "Mcp-Session-Id";
  private static final String VERSION_HEADER = "MCP-Protocol-Version";
  private static final String CLIENT_NAME = "orca-mcp-gateway";
  private static final String CLIENT_VERSION = "0.1.0";
  private static final Duration NOTIFICATION_TIMEOUT = Duration.ofSeconds(5);
  private static final int MAX_ERROR_BODY = 300;
  /** Largest answer (or SSE message) read from an upstream. */
  private static final int MAX_MESSAGE = 16 * 1024 * 1024;
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};
  private static final ResolvableType SSE_TYPE = ResolvableType.forClassWithGenerics(ServerSentEvent.class, String.class);
  private static final String ACCEPT = "application/json, text/event-stream";
  private static final String EVENT_STREAM = "text/event-stream";
  private static final NettyDataBufferFactory BUFFERS = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);
  private static final Logger log = LoggerFactory.getLogger(RemoteUpstream.class);

  /** The protocol era a server speaks. */
  public enum Era { MODERN, LEGACY }

  private record Session(String id, String version) {}

  /** The server answered with an HTTP error status. */
  static final class HttpFailure extends RuntimeException {
    final int status;
    final String body;

    HttpFailure(int status, String body) {
      super("HTTP " + status + (body.isBlank() ? "" : ": " + snippet(body)), null, false, false);
      this.status = status;
      this.body = body;
    }
  }

  /** The server could not be reached; {@code notSent} when the connection was refused (nothing was sent). */
  static final class Unreachable extends RuntimeException {
    final boolean notSent;

    Unreachable(String message, boolean notSent, Throwable cause) {
      super(message, cause, false, false);
      this.notSent = notSent;
    }
  }

  /** The server broke the protocol (no response on the stream, malformed JSON). */
  static final class ProtocolFailure extends RuntimeException {
    ProtocolFailure(String message) {
      super(message, null, false, false);
    }
  }

  /** A JSON-RPC error the server answered with (its own decision, so the circuit does not count it). */
  static final class RpcError extends RuntimeException {
    final JsonNode error;

    RpcError(JsonNode error) {
      super("JSON-RPC error " + error.path("code").asInt() + ": " + error.path("message").asString(""), null, false, false);
      this.error = error;
    }
  }

  private static final class SessionExpired extends RuntimeException {
    SessionExpired() {
      super("session expired", null, false, false);
    }
  }

  private final UpstreamSettings settings;
  private final ResilienceSettings resilience;
  private final WebClient web;
  private final HttpClient http;
  private final ServerSentEventHttpMessageReader sse = new ServerSentEventHttpMessageReader();
  private final JsonMapper json;
  private final CircuitBreaker breaker;
  private final Bulkhead bulkhead;
  /** Retries of a call that cannot have had an effect (connection refused), and of an idempotent tool's call. */
  private final Retry retryNotSent;
  private final Retry retryIdempotent;
  private final AtomicLong ids = new AtomicLong();
  private final AtomicReference<Mono<Era>> era = new AtomicReference<>();
  /** The era once probed (null until then, and after a refused legacy handshake): calls skip the cached Mono. */
  private volatile Era knownEra;
  private final AtomicReference<Mono<Session>> session = new AtomicReference<>();
  private final Map<String, Mono<JsonNode>> pages = new ConcurrentHashMap<>();
  /** Tool definitions from the latest listings: idempotentHint and x-mcp-header come from here. */
  private final Map<String, JsonNode> definitions = new ConcurrentHashMap<>();
  private final AtomicReference<Disposable> listChangedStream = new AtomicReference<>();
  private volatile boolean available = true;

  /**
   * @param web for the GET requests (health URL, the legacy listening stream)
   * @param http for the JSON-RPC POSTs (the relayed calls)
   */
  public RemoteUpstream(UpstreamSettings settings, ResilienceSettings resilience, WebClient web, HttpClient http,
      JsonMapper json) {
    this.settings = settings;
    this.resilience = resilience;
    this.web = web;
    this.http = http;
    this.json = json;
    sse.setMaxInMemorySize(MAX_MESSAGE);
    this.breaker = CircuitBreaker.of(settings.name(), CircuitBreakerConfig.custom()
        .slidingWindowSize(resilience.breakerWindow())
        .minimumNumberOfCalls(resilience.breakerMinimumCalls())
        .failureRateThreshold(resilience.breakerFailureRate())
        .waitDurationInOpenState(resilience.breakerOpenFor())
        .permittedNumberOfCallsInHalfOpenState(1)
        .recordException(RemoteUpstream::countsAgainstHealth)
        .build());
    this.bulkhead = Bulkhead.of(settings.name(), BulkheadConfig.custom()
        .maxConcurrentCalls(settings.maxConcurrentCalls())
        .maxWaitDuration(Duration.ZERO)
        .build());
    this.retryNotSent = retry(false);
    this.retryIdempotent = retry(true);
  }

  /** Built once per upstream: a backoff spec is immutable, and building one per call was measurable. */
  private Retry retry(boolean idempotent) {
    return Retry.backoff(resilience.retries(), resilience.retryBackoff())
        .filter(e -> retryable(e, idempotent))
        .onRetryExhaustedThrow((spec, signal) -> signal.failure());
  }

  @Override
  public String name() {
    return settings.name();
  }

  public UpstreamSettings settings() {
    return settings;
  }

  public CircuitBreaker.State circuitState() {
    return breaker.getState();
  }

  @Override
  public boolean available() {
    return available;
  }

  /** Set by health checks: a server marked down is left out of {@code tools/list}. */
  public void markAvailable(boolean up) {
    this.available = up;
  }

  /** The era, probing the server on first use (a failed probe is not remembered). */
  public Mono<Era> era() {
    return cached(era, this::probeEra);
  }

  /** Forgets every cached {@code tools/list} page. */
  public void invalidateTools() {
    pages.clear();
  }

  @Override
  public void close() {
    Disposable stream = listChangedStream.getAndSet(null);
    if (stream != null) {
      stream.dispose();
    }
  }

  // ---------------------------------------------------------------- Upstream

  @Override
  public Mono<JsonNode> listTools(String cursor) {
    String key = cursor == null ? "" : cursor;
    return Mono.defer(() -> pages.computeIfAbsent(key, k -> fetchPage(cursor)
        .cache(page -> resilience.toolsCacheTtl(), e -> Duration.ZERO, () -> Duration.ZERO)));
  }

  private Mono<JsonNode> fetchPage(String cursor) {
    ObjectNode params = json.createObjectNode();
    if (cursor != null) {
      params.put("cursor", cursor);
    }
    return results("tools/list", params, null, null)
        .filter(RelayEvent::isResult).next().map(RelayEvent::result)
        .timeout(settings.timeout())
        .zipWith(era())
        .map(pageAndEra -> {
          ObjectNode page = ((ObjectNode) pageAndEra.getT1()).deepCopy();
          page.remove("resultType");
          if (page.path("tools").isArray()) {
            var tools = page.withArray("tools");
            for (int i = tools.size() - 1; i >= 0; i--) {
              JsonNode tool = tools.get(i);
              String problem = pageAndEra.getT2() == Era.MODERN ? McpHeaders.invalidParamHeaders(tool) : null;
              if (problem != null) {
                log.warn("Upstream '{}' tool '{}' left out: {}", name(), tool.path("name").asString(""), problem);
                tools.remove(i);
              } else {
                definitions.put(tool.path("name").asString(""), tool);
              }
            }
          }
          return (JsonNode) page;
        });
  }

  @Override
  public Mono<JsonNode> callTool(String tool, JsonNode arguments, JsonNode meta) {
    return callToolEvents(tool, arguments, meta).filter(RelayEvent::isResult).next().map(RelayEvent::result);
  }

  @Override
  public Flux<RelayEvent> callToolEvents(String tool, JsonNode arguments, JsonNode meta) {
    ObjectNode params = json.createObjectNode();
    params.put("name", tool);
    params.set("arguments", arguments);
    if (meta != null && meta.isObject() && !meta.isEmpty()) {
      params.set("_meta", meta);
    }
    JsonNode definition = definitions.get(tool);
    boolean idempotent = definition != null && definition.path("annotations").path("idempotentHint").asBoolean(false);
    long timeout = settings.timeout().toNanos();
    return Flux.defer(() -> {
      long deadline = System.nanoTime() + timeout;
      return results("tools/call", params, tool, definition)
          .retryWhen(idempotent ? retryIdempotent : retryNotSent)
          // one deadline for the whole call: progress notifications do not extend it
          .timeout(Deadlines.after(timeout), event -> Deadlines.after(deadline - System.nanoTime()));
    })
        .transformDeferred(BulkheadOperator.of(bulkhead))
        .transformDeferred(CircuitBreakerOperator.of(breaker))
        .onErrorMap(e -> relayError(e, tool));
  }

  private RuntimeException relayError(Throwable e, String tool) {
    if (e instanceof CallNotPermittedException) {
      return new RelayException(RelayException.Reason.CIRCUIT_OPEN, tool, "Upstream '" + name() + "' is failing, "
          + "so the gateway refuses its calls for up to " + resilience.breakerOpenFor().toSeconds()
          + " s (circuit open); retry later or check the server (GET /api/v1/mcp-servers/" + name() + ")");
    }
    if (e instanceof BulkheadFullException) {
      return new RelayException(RelayException.Reason.OVERLOADED, tool, "Upstream '" + name() + "' already has "
          + settings.maxConcurrentCalls() + " calls in flight (config.max_concurrent_calls); retry later");
    }
    if (e instanceof TimeoutException) {
      return new RelayException(RelayException.Reason.TIMEOUT, tool, "Upstream '" + name() + "' did not answer "
          + "tool '" + tool + "' within " + settings.timeout().toMillis() + " ms (config.timeout_ms)", e);
    }
    if (e instanceof RpcError rpc) {
      if (rpc.error.path("code").asInt() == -32602 && rpc.error.path("message").asString("").toLowerCase()
          .contains("unknown tool")) {
        return new RelayException(RelayException.Reason.UNKNOWN_TOOL, tool, "Upstream '" + name()
            + "' has no tool '" + tool + "': call tools/list for the tools this gateway offers");
      }
      return RelayException.upstreamRpcError(name(), tool, rpc.error);
    }
    if (e instanceof RelayException relay) {
      return relay;
    }
    return new RelayException(RelayException.Reason.UPSTREAM_ERROR, tool, "Upstream '" + name() + "' failed on tool '"
        + tool + "': " + e.getMessage(), e);
  }

  private static boolean retryable(Throwable e, boolean idempotent) {
    if (e instanceof Unreachable u) {
      return u.notSent || idempotent;
    }
    return idempotent && e instanceof HttpFailure f && f.status >= 500;
  }

  private static boolean countsAgainstHealth(Throwable e) {
    return e instanceof Unreachable || e instanceof TimeoutException || e instanceof ProtocolFailure
        || (e instanceof HttpFailure f && f.status >= 500);
  }

  /** Whether the server answers now: {@code server/discover} (modern) or {@code ping} (legacy). */
  public Mono<Boolean> check() {
    Mono<Boolean> probe;
    if (settings.healthCheckUrl() != null) {
      probe = web.get().uri(settings.healthCheckUrl())
          .headers(h -> settings.authHeaders().forEach(h::set))
          .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().is2xxSuccessful()));
    } else {
      probe = era().flatMap(e -> results(e == Era.MODERN ? "server/discover" : "ping", json.createObjectNode(), null, null)
          .filter(RelayEvent::isResult).hasElements());
    }
    return probe.timeout(settings.timeout()).onErrorResume(e -> {
      log.debug("Health check of upstream '{}' failed: {}", name(), e.toString());
      return Mono.just(false);
    });
  }

  // ---------------------------------------------------------------- requests

  /**
   * One request in the server's era; emits its progress notifications, then the result (a JSON-RPC
   * error is an {@link RpcError}).
   */
  private Flux<RelayEvent> results(String method, ObjectNode params, String name, JsonNode toolDefinition) {
    Era known = knownEra;
    return known != null
        ? Flux.defer(() -> results(known, method, params, name, toolDefinition))
        : era().flatMapMany(e -> results(e, method, params, name, toolDefinition));
  }

  private Flux<RelayEvent> results(Era e, String method, ObjectNode params, String name, JsonNode toolDefinition) {
    long id = ids.incrementAndGet();
    Flux<JsonNode> messages = e == Era.MODERN
        ? modern(id, method, params, name, toolDefinition)
        : legacy(id, method, params);
    return messages
        .<RelayEvent>handle((m, sink) -> event(m, id, sink))
        .takeUntil(RelayEvent::isResult)
        .switchIfEmpty(Mono.error(() -> new ProtocolFailure("the answer to " + method + " carried no response")));
  }

  private void event(JsonNode message, long id, SynchronousSink<RelayEvent> sink) {
    if (isResponseTo(message, id)) {
      JsonNode error = message.get("error");
      if (error != null && !error.isNull()) {
        sink.error(new RpcError(error));
        return;
      }
      JsonNode result = message.get("result");
      if (result != null && result.isObject()) {
        sink.next(RelayEvent.resultOf(result));
      } else {
        sink.error(new ProtocolFailure("a response without a result object"));
      }
      return;
    }
    String method = message.path("method").asString("");
    if (method.equals("notifications/progress")) {
      sink.next(RelayEvent.progressOf(message.path("params")));
    } else if (method.equals("notifications/tools/list_changed")) {
      invalidateTools();
    }
    // other notifications, and server requests this gateway does not serve, are dropped
  }

  private Flux<JsonNode> modern(long id, String method, ObjectNode params, String name, JsonNode toolDefinition) {
    // shallow copies: the caller's nodes are shared, never changed (params is reused by retries)
    ObjectNode p = json.createObjectNode();
    params.properties().forEach(field -> p.set(field.getKey(), field.getValue()));
    ObjectNode meta = json.createObjectNode();
    if (params.get("_meta") instanceof ObjectNode callerMeta) {
      callerMeta.properties().forEach(field -> meta.set(field.getKey(), field.getValue()));
    }
    stripProtocolMeta(meta);
    meta.put(META_PROTOCOL_VERSION, MODERN_VERSION);
    meta.putObject(META_CLIENT_INFO).put("name", CLIENT_NAME).put("version", CLIENT_VERSION);
    meta.putObject(META_CLIENT_CAPABILITIES);
    p.set("_meta", meta);
    return post(rpc(id, method, p), h -> {
      h.accept(VERSION_HEADER, MODERN_VERSION);
      h.accept(McpHeaders.METHOD, method);
      if (name != null) {
        h.accept(McpHeaders.NAME, McpHeaders.encode(name));
      }
      if (toolDefinition != null) {
        McpHeaders.paramHeaders(toolDefinition, p.path("arguments")).forEach(h);
      }
    }, null);
  }

  private Flux<JsonNode> legacy(long id, String method, ObjectNode params) {
    ObjectNode p = params.deepCopy();
    if (p.get("_meta") instanceof ObjectNode meta) {
      // a modern caller's protocol keys would make a dual-era server treat this as a modern request
      stripProtocolMeta(meta);
      if (meta.isEmpty()) {
        p.remove("_meta");
      }
    }
    ObjectNode message = rpc(id, method, p);
    return session().flatMapMany(s -> send(s, message, id)
        .onErrorResume(SessionExpired.class, expired -> {
          log.info("Upstream '{}' expired its MCP session; initializing a new one", name());
          session.set(null);
          return session().flatMapMany(fresh -> send(fresh, message, id));
        }));
  }

  private Flux<JsonNode> send(Session s, ObjectNode message, long id) {
    Flux<JsonNode> answer = post(message, h -> legacyHeaders(h, s), s);
    if (!"tools/call".equals(message.path("method").asString(""))) {
      return answer;
    }
    return Flux.defer(() -> {
      AtomicBoolean answered = new AtomicBoolean();
      return answer
          .doOnNext(m -> {
            if (isResponseTo(m, id)) {
              answered.set(true);
            }
          })
          .doOnCancel(() -> {
            if (!answered.get()) {
              cancelled(s, id);
            }
          });
    });
  }

  private static void legacyHeaders(BiConsumer<String, String> h, Session s) {
    if (s.id() != null) {
      h.accept(SESSION_HEADER, s.id());
    }
    h.accept(VERSION_HEADER, s.version());
  }

  /** Tells a legacy server a request was abandoned; fire-and-forget (its exchange is closed already). */
  private void cancelled(Session s, long id) {
    ObjectNode params = json.createObjectNode();
    params.put("requestId", id);
    params.put("reason", "cancelled by the gateway's client");
    post(notification("notifications/cancelled", params), h -> legacyHeaders(h, s), s)
        .then()
        .timeout(NOTIFICATION_TIMEOUT)
        .subscribe(null, e -> log.debug("notifications/cancelled to '{}' not delivered: {}", name(), e.toString()));
  }

  // ---------------------------------------------------------------- era and session

  private Mono<Era> probeEra() {
    long id = ids.incrementAndGet();
    return modern(id, "server/discover", json.createObjectNode(), null, null)
        .filter(m -> isResponseTo(m, id))
        .next()
        .map(response -> response.has("result") ? Era.MODERN : eraFromError(response.get("error")))
        .onErrorResume(HttpFailure.class, f -> Mono.just(eraFromBody(f.body)))
        .defaultIfEmpty(Era.LEGACY)
        .doOnNext(e -> {
          knownEra = e;
          log.info("Upstream '{}' at {} speaks the {} protocol era", name(), settings.endpoint(),
              e == Era.MODERN ? MODERN_VERSION : "legacy (session)");
        });
  }

  private Era eraFromBody(String body) {
    try {
      JsonNode message = json.readTree(body);
      return message != null && message.has("error") ? eraFromError(message.get("error")) : Era.LEGACY;
    } catch (JacksonException e) {
      return Era.LEGACY;
    }
  }

  /** A recognized modern error means a modern server; anything else, a legacy one (per 2026-07-28). */
  private static Era eraFromError(JsonNode error) {
    int code = error == null ? 0 : error.path("code").asInt();
    if (code == -32020 || code == -32021) {
      return Era.MODERN;
    }
    if (code == -32022) {
      JsonNode supported = error.path("data").path("supported");
      for (JsonNode v : supported) {
        if (MODERN_VERSION.equals(v.asString(""))) {
          return Era.MODERN;
        }
      }
      for (JsonNode v : supported) {
        if (LEGACY_VERSIONS.contains(v.asString(""))) {
          return Era.LEGACY;
        }
      }
      return Era.MODERN;
    }
    return Era.LEGACY;
  }

  private Mono<Session> session() {
    return cached(session, this::initialize);
  }

  private Mono<Session> initialize() {
    ObjectNode params = json.createObjectNode();
    params.put("protocolVersion", LEGACY_VERSIONS.get(0));
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", CLIENT_NAME).put("version", CLIENT_VERSION);
    long id = ids.incrementAndGet();
    AtomicReference<String> sessionId = new AtomicReference<>();
    return post(rpc(id, "initialize", params), h -> {}, null, headers -> sessionId.set(headers.get(SESSION_HEADER)))
        .filter(m -> isResponseTo(m, id))
        .next()
        .switchIfEmpty(Mono.error(() -> new ProtocolFailure("no response to initialize")))
        .flatMap(response -> {
          if (response.has("error")) {
            return Mono.error(new RpcError(response.get("error")));
          }
          JsonNode result = response.path("result");
          String version = result.path("protocolVersion").asString("");
          if (!LEGACY_VERSIONS.contains(version)) {
            return Mono.error(new ProtocolFailure("upstream '" + name() + "' negotiated protocol version '" + version
                + "'; the gateway speaks " + LEGACY_VERSIONS));
          }
          Session s = new Session(sessionId.get(), version);
          boolean listChanged = result.path("capabilities").path("tools").path("listChanged").asBoolean(false);
          return post(notification("notifications/initialized", null), h -> legacyHeaders(h, s), s).then()
              .thenReturn(s)
              .doOnNext(ready -> {
                log.info("Upstream '{}' session initialized (protocol {})", name(), version);
                invalidateTools();
                if (listChanged && ready.id() != null) {
                  listen(ready);
                }
              });
        })
        .doOnError(e -> {
          if (e instanceof HttpFailure || e instanceof RpcError) {
            knownEra = null;
            era.set(null); // maybe no longer legacy: probe again next time
          }
        });
  }

  /** The legacy GET stream, where a server may announce {@code notifications/tools/list_changed}. */
  private void listen(Session s) {
    Disposable stream = web.get().uri(settings.endpoint())
        .accept(MediaType.TEXT_EVENT_STREAM)
        .headers(h -> {
          settings.authHeaders().forEach(h::set);
          legacyHeaders(h::set, s);
        })
        .retrieve()
        .bodyToFlux(SSE)
        .subscribe(event -> {
          if (event.data() != null && event.data().contains("notifications/tools/list_changed")) {
            log.debug("Upstream '{}' announced a changed tool list", name());
            invalidateTools();
          }
        }, e -> log.debug("Upstream '{}' GET stream ended: {}", name(), e.toString()));
    Disposable previous = listChangedStream.getAndSet(stream);
    if (previous != null) {
      previous.dispose();
    }
  }

  /** The cached value of {@code ref}, computed by {@code source} once it succeeds (failures are retried). */
  private static <T> Mono<T> cached(AtomicReference<Mono<T>> ref, Supplier<Mono<T>> source) {
    return Mono.defer(() -> {
      Mono<T> current = ref.get();
      if (current != null) {
        return current;
      }
      Mono<T> fresh = source.get().cache(v -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ZERO);
      return ref.compareAndSet(null, fresh) ? fresh : Mono.defer(() -> {
        Mono<T> other = ref.get();
        return other != null ? other : fresh;
      });
    });
  }

  // ---------------------------------------------------------------- HTTP

  private Flux<JsonNode> post(ObjectNode message, Consumer<BiConsumer<String, String>> headers, Session s) {
    return post(message, headers, s, h -> {});
  }

  /**
   * POSTs one JSON-RPC message; emits every message of the answer (one for JSON, one per event for a
   * stream, none for 202). Cancelling closes the exchange. On Reactor Netty's client directly: this is
   * every relayed call's hop, and WebClient's request/response adapters, codecs and checkpoint cost about
   * as much CPU as the HTTP exchange itself.
   */
  private Flux<JsonNode> post(ObjectNode message, Consumer<BiConsumer<String, String>> headers, Session s,
      Consumer<io.netty.handler.codec.http.HttpHeaders> responseHeaders) {
    byte[] body = json.writeValueAsBytes(message);
    return http.post().uri(settings.endpoint())
        .send((request, out) -> {
          io.netty.handler.codec.http.HttpHeaders h = request.requestHeaders();
          h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
          h.set(HttpHeaderNames.ACCEPT, ACCEPT);
          h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
          settings.authHeaders().forEach(h::set);
          headers.accept(h::set);
          return out.send(Mono.just(Unpooled.wrappedBuffer(body)));
        })
        .response((response, content) -> {
          responseHeaders.accept(response.responseHeaders());
          return answer(response, content, s);
        })
        .onErrorMap(this::transportError);
  }

  private Throwable transportError(Throwable e) {
    if (e instanceof JacksonException) {
      return new ProtocolFailure("malformed JSON from upstream '" + name() + "'");
    }
    if (e instanceof IOException || e instanceof ChannelException) {
      Throwable root = rootCause(e);
      return new Unreachable("cannot reach upstream '" + name() + "' at " + settings.endpoint() + ": "
          + root.getClass().getSimpleName(), root instanceof ConnectException, e);
    }
    return e;
  }

  private Flux<JsonNode> answer(HttpClientResponse r, ByteBufFlux content, Session s) {
    int status = r.status().code();
    if (status == 404 && s != null && s.id() != null) {
      return Flux.error(new SessionExpired()); // the unread body is released with the exchange
    }
    if (status < 200 || status > 299) {
      return bounded(content).defaultIfEmpty(new byte[0])
          .flatMapMany(body -> Flux.error(new HttpFailure(status, new String(body, StandardCharsets.UTF_8))));
    }
    if (status == 202) {
      return Flux.empty();
    }
    String type = r.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
    if (type != null && type.strip().regionMatches(true, 0, EVENT_STREAM, 0, EVENT_STREAM.length())) {
      return sse.read(SSE_TYPE, new SseBody(content), Map.of())
          .map(event -> ((ServerSentEvent<?>) event).data())
          .filter(data -> data instanceof String text && !text.isBlank())
          .map(data -> json.readTree((String) data));
    }
    return bounded(content).flatMapMany(body -> {
      JsonNode message = json.readTree(body);
      if (message == null || message.isMissingNode()) {
        return Flux.empty();
      }
      return message.isArray() ? Flux.fromIterable(message) : Flux.just(message);
    });
  }

  /** The whole body, refused beyond {@link #MAX_MESSAGE}; empty when there is none. */
  private Mono<byte[]> bounded(ByteBufFlux content) {
    return content.asByteArray()
        .collect(ByteArrayOutputStream::new, (all, chunk) -> {
          if (all.size() + chunk.length > MAX_MESSAGE) {
            throw new ProtocolFailure("upstream '" + name() + "' answered more than " + MAX_MESSAGE + " bytes");
          }
          all.writeBytes(chunk);
        })
        .filter(all -> all.size() > 0)
        .map(ByteArrayOutputStream::toByteArray);
  }

  /** A response body as Spring's SSE reader takes it (the reader releases the buffers). */
  private static final class SseBody implements ReactiveHttpInputMessage {
    private static final HttpHeaders HEADERS = new HttpHeaders();

    static {
      HEADERS.setContentType(MediaType.TEXT_EVENT_STREAM);
    }

    private final ByteBufFlux content;

    SseBody(ByteBufFlux content) {
      this.content = content;
    }

    @Override
    public HttpHeaders getHeaders() {
      return HEADERS;
    }

    @Override
    public Flux<DataBuffer> getBody() {
      return content.retain().map(BUFFERS::wrap);
    }
  }

  private ObjectNode rpc(long id, String method, ObjectNode params) {
    ObjectNode body = json.createObjectNode();
    body.put("jsonrpc", "2.0");
    body.put("id", id);
    body.put("method", method);
    body.set("params", params);
    return body;
  }

  private ObjectNode notification(String method, ObjectNode params) {
    ObjectNode body = json.createObjectNode();
    body.put("jsonrpc", "2.0");
    body.put("method", method);
    if (params != null) {
      body.set("params", params);
    }
    return body;
  }

  private static void stripProtocolMeta(ObjectNode meta) {
    for (String key : PROTOCOL_META) {
      meta.remove(key);
    }
  }

  private static boolean isResponseTo(JsonNode message, long id) {
    JsonNode messageId = message.get("id");
    if (messageId == null || !(message.has("result") || message.has("error"))) {
      return false;
    }
    return messageId.isNumber() ? messageId.asLong() == id : String.valueOf(id).equals(messageId.asString(""));
  }

  private static Throwable rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  static String snippet(String body) {
    String s = body.strip();
    return s.length() > MAX_ERROR_BODY ? s.substring(0, MAX_ERROR_BODY) + "…" : s;
  }
}

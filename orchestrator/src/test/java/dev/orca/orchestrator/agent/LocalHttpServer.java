package dev.orca.orchestrator.agent;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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

/**
 * A scripted HTTP server on Reactor Netty (127.0.0.1, random port) standing in for third parties — LLM
 * providers, api agents, A2A agents — in their real wire formats. Each path has a handler from the request
 * to an {@link Answer}; what it saw: {@link #requests(String)} (method, headers, JSON body), and
 * {@link #disconnected(String)} (requests whose connection closed before their answer was fully sent).
 */
final class LocalHttpServer implements AutoCloseable {
  static final JsonMapper JSON = JsonMapper.builder().build();

  /** A request as the server saw it; header names in lower case. */
  record Seen(String method, Map<String, String> headers, JsonNode body) {}

  /** An HTTP answer: status, headers and a body (JSON text or anything else), sent in the pieces of {@code body}. */
  record Answer(int status, Map<String, String> headers, Flux<String> body) {
    static Answer json(JsonNode body) {
      return new Answer(200, Map.of("Content-Type", "application/json"), Flux.just(JSON.writeValueAsString(body)));
    }

    static Answer status(int status, Map<String, String> headers, String body) {
      return new Answer(status, headers, Flux.just(body));
    }

    /** Server-Sent Events, each piece flushed as it comes (a piece that never comes keeps the stream open). */
    static Answer events(Flux<String> events) {
      return new Answer(200, Map.of("Content-Type", "text/event-stream", "Cache-Control", "no-cache"), events);
    }
  }

  private final Map<String, Function<Seen, Mono<Answer>>> handlers = new ConcurrentHashMap<>();
  private final Map<String, List<Seen>> seen = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> disconnected = new ConcurrentHashMap<>();
  private final DisposableServer server;

  LocalHttpServer() {
    server = HttpServer.create().host("127.0.0.1").port(0)
        .handle(this::handle)
        .bindNow(Duration.ofSeconds(10));
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  /** Answers requests to {@code path} (exact, without query) with {@code handler}. */
  LocalHttpServer on(String path, Function<Seen, Mono<Answer>> handler) {
    handlers.put(path, handler);
    return this;
  }

  List<Seen> requests(String path) {
    return List.copyOf(seen.getOrDefault(path, List.of()));
  }

  int disconnected(String path) {
    return disconnected.computeIfAbsent(path, p -> new AtomicInteger()).get();
  }

  private Mono<Void> handle(HttpServerRequest req, HttpServerResponse res) {
    String path = req.fullPath();
    return req.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("").flatMap(body -> {
      Map<String, String> headers = new ConcurrentHashMap<>();
      req.requestHeaders().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
      JsonNode json = body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
      Seen s = new Seen(req.method().name(), Map.copyOf(headers), json);
      seen.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(s);
      Function<Seen, Mono<Answer>> handler = handlers.get(path);
      if (handler == null) {
        return res.status(404).send().then();
      }
      AtomicBoolean answered = new AtomicBoolean();
      res.withConnection(c -> c.onDispose(() -> {
        if (answered.compareAndSet(false, true)) {
          disconnected.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        }
      }));
      return handler.apply(s).flatMap(a -> {
        a.headers().forEach(res::header);
        // Answered once the whole body is out: a stream cut midway counts as a disconnect.
        return res.status(a.status()).sendString(a.body(), StandardCharsets.UTF_8).then()
            .doOnSuccess(done -> answered.set(true));
      });
    });
  }

  @Override
  public void close() {
    server.disposeNow(Duration.ofSeconds(5));
  }
}

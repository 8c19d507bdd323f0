package dev.orca.gateway.mcp;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** A raw HTTP client for {@code /mcp} in tests: exact headers in, status, headers and body out. */
final class McpClient {
  static final JsonMapper json = JsonMapper.builder().build();
  static final String TOKEN = "test-token";
  private final WebClient web;
  private final AtomicLong ids = new AtomicLong();

  record Answer(int status, HttpHeaders headers, String body) {
    JsonNode json() {
      return McpClient.json.readTree(body);
    }

    String contentType() {
      return String.valueOf(headers.getContentType());
    }
  }

  McpClient(int port) {
    this.web = WebClient.builder().baseUrl("http://localhost:" + port).build();
  }

  ObjectNode request(String method, ObjectNode params) {
    ObjectNode m = json.createObjectNode();
    m.put("jsonrpc", "2.0");
    m.put("id", ids.incrementAndGet());
    m.put("method", method);
    if (params != null) {
      m.set("params", params);
    }
    return m;
  }

  static ObjectNode notification(String method, ObjectNode params) {
    ObjectNode m = json.createObjectNode();
    m.put("jsonrpc", "2.0");
    m.put("method", method);
    if (params != null) {
      m.set("params", params);
    }
    return m;
  }

  /** POSTs {@code body} with the bearer token, both Accept types and {@code headers}. */
  Answer post(Object body, Map<String, String> headers) {
    return send(body, headers, true, "application/json, text/event-stream").block(Duration.ofSeconds(30));
  }

  Mono<Answer> send(Object body, Map<String, String> headers, boolean withToken, String accept) {
    return web.post().uri("/mcp")
        .contentType(MediaType.APPLICATION_JSON)
        .headers(h -> {
          if (accept != null) {
            h.set(HttpHeaders.ACCEPT, accept);
          }
          if (withToken) {
            h.setBearerAuth(TOKEN);
          }
          headers.forEach(h::set);
        })
        .bodyValue(body instanceof String s ? s : json.writeValueAsString(body))
        .exchangeToMono(r -> r.bodyToMono(String.class).defaultIfEmpty("")
            .map(b -> new Answer(r.statusCode().value(), r.headers().asHttpHeaders(), b)));
  }

  /** The session id after initialize (asking {@code version}) and notifications/initialized. */
  String initialize(String version) {
    ObjectNode params = json.createObjectNode();
    params.put("protocolVersion", version);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "test").put("version", "1");
    Answer init = post(request("initialize", params), Map.of());
    if (init.status() != 200) {
      throw new AssertionError("initialize answered " + init);
    }
    String session = init.headers().getFirst("Mcp-Session-Id");
    String negotiated = init.json().path("result").path("protocolVersion").asString();
    Answer initialized = post(notification("notifications/initialized", null),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", negotiated));
    if (initialized.status() != 202) {
      throw new AssertionError("notifications/initialized answered " + initialized);
    }
    return session;
  }

  static ObjectNode callParams(String tool, ObjectNode arguments) {
    ObjectNode p = json.createObjectNode();
    p.put("name", tool);
    p.set("arguments", arguments);
    return p;
  }

  /** params of a modern (2026-07-28) request: {@code extra} plus the required _meta. */
  static ObjectNode modernParams(ObjectNode extra, String version) {
    ObjectNode p = extra == null ? json.createObjectNode() : extra.deepCopy();
    ObjectNode meta = p.has("_meta") ? (ObjectNode) p.get("_meta") : p.putObject("_meta");
    meta.put("io.modelcontextprotocol/protocolVersion", version);
    meta.putObject("io.modelcontextprotocol/clientCapabilities");
    meta.putObject("io.modelcontextprotocol/clientInfo").put("name", "modern-test").put("version", "1");
    return p;
  }
}

package dev.orca.gateway.builtin;

import io.netty.channel.ChannelOption;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code builtin.http_request}: one HTTP request to an allow-listed host. Hosts are matched exactly, or
 * by a {@code *.example.com} entry for its subdomains; an empty list refuses every request. Redirects are
 * not followed (a redirect could leave the allow-list). The response body is read up to a size limit.
 */
final class HttpRequestTool {
  static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private final JsonMapper json;
  private final List<String> allowedHosts;
  private final Duration maxTimeout;
  private final int maxResponseBytes;
  private final WebClient web;

  HttpRequestTool(JsonMapper json, List<String> allowedHosts, Duration maxTimeout, int maxResponseBytes) {
    this.json = json;
    this.allowedHosts = allowedHosts.stream().map(String::strip).filter(s -> !s.isEmpty())
        .map(s -> s.toLowerCase(Locale.ROOT)).toList();
    this.maxTimeout = maxTimeout;
    this.maxResponseBytes = maxResponseBytes;
    HttpClient http = HttpClient.create()
        .followRedirect(false)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(maxTimeout.toMillis(), 10_000));
    this.web = WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
  }

  static ObjectNode inputSchema(JsonMapper json) {
    ObjectNode schema = json.createObjectNode().put("type", "object");
    ObjectNode p = schema.putObject("properties");
    var method = p.putObject("method").put("type", "string").put("default", "GET")
        .put("description", "HTTP method");
    METHODS.stream().sorted().forEach(method.putArray("enum")::add);
    p.putObject("url").put("type", "string").put("format", "uri")
        .put("description", "http(s) URL; its host must be allow-listed (orca.gateway.builtin.http.allowed-hosts)");
    p.putObject("headers").put("type", "object").put("description", "request headers")
        .putObject("additionalProperties").put("type", "string");
    p.putObject("body").put("description", "request body: a string is sent as is, any other JSON value as application/json");
    p.putObject("timeoutMs").put("type", "integer").put("minimum", 1)
        .put("description", "request timeout in ms (capped by the gateway's limit)");
    schema.putArray("required").add("url");
    return schema;
  }

  Mono<JsonNode> call(JsonNode args) {
    String method = args.path("method").asString("GET").toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      return Mono.just(ToolResults.error(json, "method must be one of " + METHODS.stream().sorted().toList()));
    }
    String url = args.path("url").asString("");
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Mono.just(ToolResults.error(json, "url is not a valid URI: " + e.getMessage()));
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      return Mono.just(ToolResults.error(json, "url must be an absolute http(s) URL with a host, got '" + url + "'"));
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (!allowed(host)) {
      return Mono.just(ToolResults.error(json, allowedHosts.isEmpty()
          ? "host '" + host + "' refused: no hosts are allow-listed for builtin.http_request "
              + "(set orca.gateway.builtin.http.allowed-hosts / ORCA_GATEWAY_BUILTIN_HTTP_ALLOWED_HOSTS)"
          : "host '" + host + "' refused: it is not in orca.gateway.builtin.http.allowed-hosts"));
    }
    Duration timeout = maxTimeout;
    if (args.has("timeoutMs")) {
      long ms = args.path("timeoutMs").asLong(0);
      if (ms <= 0) {
        return Mono.just(ToolResults.error(json, "timeoutMs must be a positive integer"));
      }
      timeout = Duration.ofMillis(Math.min(ms, maxTimeout.toMillis()));
    }
    JsonNode headers = args.path("headers");
    if (!headers.isMissingNode() && !headers.isNull() && !headers.isObject()) {
      return Mono.just(ToolResults.error(json, "headers must be an object of header names to string values"));
    }
    JsonNode body = args.get("body");
    Duration limit = timeout;
    WebClient.RequestBodySpec request = web.method(HttpMethod.valueOf(method)).uri(uri).headers(h -> {
      if (headers.isObject()) {
        headers.properties().forEach(e -> h.add(e.getKey(), e.getValue().isString()
            ? e.getValue().asString() : e.getValue().toString()));
      }
    });
    WebClient.RequestHeadersSpec<?> spec = request;
    if (body != null && !body.isNull()) {
      if (body.isString()) {
        spec = request.bodyValue(body.asString());
      } else {
        if (!headers.has("Content-Type") && !headers.has("content-type")) {
          request.contentType(MediaType.APPLICATION_JSON);
        }
        spec = request.bodyValue(json.writeValueAsString(body));
      }
    }
    return spec.exchangeToMono(response -> DataBufferUtils.join(
                response.body(BodyExtractors.toDataBuffers()), maxResponseBytes)
            .map(buffer -> {
              byte[] bytes = new byte[buffer.readableByteCount()];
              buffer.read(bytes);
              DataBufferUtils.release(buffer);
              return bytes;
            })
            .defaultIfEmpty(new byte[0])
            .map(bytes -> (JsonNode) result(response.statusCode().value(), response.headers().asHttpHeaders(), bytes)))
        .timeout(limit)
        .onErrorResume(DataBufferLimitException.class, e -> Mono.just(ToolResults.error(json,
            "response body larger than " + maxResponseBytes + " bytes (orca.gateway.builtin.http.max-response-bytes)")))
        .onErrorResume(TimeoutException.class, e -> Mono.just(ToolResults.error(json,
            "no response from " + host + " within " + limit.toMillis() + " ms")))
        .onErrorResume(WebClientRequestException.class, e -> Mono.just(ToolResults.error(json,
            "request to " + host + " failed: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()))));
  }

  private JsonNode result(int status, org.springframework.http.HttpHeaders headers, byte[] bytes) {
    ObjectNode structured = json.createObjectNode();
    structured.put("status", status);
    ObjectNode h = structured.putObject("headers");
    headers.forEach((name, values) -> h.put(name.toLowerCase(Locale.ROOT), String.join(", ", values)));
    MediaType type = headers.getContentType();
    Charset charset = type != null && type.getCharset() != null ? type.getCharset() : StandardCharsets.UTF_8;
    String text = new String(bytes, charset);
    structured.put("body", text);
    if (type != null && (type.isCompatibleWith(MediaType.APPLICATION_JSON) || type.getSubtype().endsWith("+json"))) {
      try {
        structured.set("json", json.readTree(text));
      } catch (JacksonException notJson) {
        // the body stays as text
      }
    }
    ObjectNode result = ToolResults.structured(json, structured);
    if (status >= 400) {
      result.put("isError", true);
    }
    return result;
  }

  boolean allowed(String host) {
    for (String entry : allowedHosts) {
      if (entry.startsWith("*.") ? host.endsWith(entry.substring(1)) : host.equals(entry)) {
        return true;
      }
    }
    return false;
  }
}

package dev.orca.orchestrator.agent.runtime;

import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one HTTP client of agents (LLM providers, api and A2A endpoints) and how its failures become
 * {@link StepFailure}s: HTTP 408, 429, 5xx and Anthropic's 529 (overloaded) are {@code TRANSPORT} (retryable,
 * carrying the server's {@code Retry-After}); other 4xx are {@code PROTOCOL} (not retried), 401/403 without
 * the answer's body (it may echo part of a key). Disposing a
 * request closes its connection, so the far side sees it end.
 */
@Component
public class AgentHttp implements AutoCloseable {
  private static final int SNIPPET = 300;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE = new ParameterizedTypeReference<>() {};

  private final ConnectionProvider connections;
  private final WebClient web;

  public AgentHttp() {
    this.connections = ConnectionProvider.builder("orca-agents")
        .maxConnections(200)
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

  public WebClient web() {
    return web;
  }

  /**
   * POSTs {@code body} as JSON to {@code url} and emits the JSON answer; a non-2xx answer or a failure on the
   * way is a {@link StepFailure} naming {@code who}.
   */
  public Mono<JsonNode> postJson(String url, Consumer<HttpHeaders> headers, JsonNode body, String who) {
    return post(url, headers, body, MediaType.APPLICATION_JSON)
        .exchangeToMono(r -> r.statusCode().is2xxSuccessful()
            ? r.bodyToMono(String.class).map(JSON::readTree)
            : AgentHttp.<JsonNode>failure(r, who))
        .onErrorMap(e -> onTheWay(e, who));
  }

  /**
   * POSTs {@code body} as JSON to {@code url} asking for Server-Sent Events, and emits each event's data as
   * JSON (a {@code [DONE]} sentinel ends the stream). Cancelling closes the stream's connection.
   */
  public Flux<JsonNode> postForEvents(String url, Consumer<HttpHeaders> headers, JsonNode body, String who) {
    return post(url, headers, body, MediaType.TEXT_EVENT_STREAM)
        .exchangeToFlux(r -> r.statusCode().is2xxSuccessful()
            ? r.bodyToFlux(SSE)
            : AgentHttp.<ServerSentEvent<String>>failure(r, who).flux())
        .map(ServerSentEvent::data)
        .filter(data -> data != null && !data.isBlank())
        .takeWhile(data -> !"[DONE]".equals(data.strip()))
        .map(data -> JSON.readTree(data))
        .onErrorMap(e -> onTheWay(e, who));
  }

  private WebClient.RequestHeadersSpec<?> post(String url, Consumer<HttpHeaders> headers, JsonNode body, MediaType accept) {
    return web.post().uri(url)
        .contentType(MediaType.APPLICATION_JSON)
        .accept(accept)
        .headers(headers)
        .bodyValue(JSON.writeValueAsString(body));
  }

  /** The failure for a non-2xx answer of {@code who}, with a snippet of its body (never request headers). */
  public static <T> Mono<T> failure(ClientResponse response, String who) {
    int status = response.statusCode().value();
    Duration retryAfter = retryAfter(response.headers().asHttpHeaders());
    if (status == 401 || status == 403) {
      // The body of a refused credential may echo part of it: say which secret to check, nothing more.
      return response.releaseBody().then(Mono.error(new StepFailure(Kind.PROTOCOL, who + " refused the credentials (HTTP "
          + status + "); check the secret the agent names (ORCA_SECRET_<NAME> or the mounted file)")));
    }
    return response.bodyToMono(String.class).defaultIfEmpty("").flatMap(body -> {
      String snippet = body.length() > SNIPPET ? body.substring(0, SNIPPET) + "…" : body.strip();
      String message = who + " answered HTTP " + status + (snippet.isEmpty() ? "" : ": " + snippet);
      boolean transient_ = status == 408 || status == 429 || status >= 500;
      return Mono.error(new StepFailure(transient_ ? Kind.TRANSPORT : Kind.PROTOCOL, message, null, retryAfter));
    });
  }

  /** A failure on the way (refused connection, reset, malformed body) as a {@link StepFailure}. */
  public static Throwable onTheWay(Throwable e, String who) {
    if (e instanceof StepFailure || e instanceof TimeoutException) {
      return e;
    }
    if (e instanceof WebClientRequestException) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return new StepFailure(Kind.TRANSPORT, "cannot reach " + who + ": " + cause, e);
    }
    if (e instanceof tools.jackson.core.JacksonException j) {
      return new StepFailure(Kind.PROTOCOL, who + " sent malformed JSON: " + j.getOriginalMessage(), e);
    }
    return new StepFailure(Kind.TRANSPORT, who + " failed: " + e, e);
  }

  /** {@code Retry-After} as seconds or an HTTP date, else OpenAI's {@code retry-after-ms}; null when absent. */
  static Duration retryAfter(HttpHeaders headers) {
    String value = headers.getFirst(HttpHeaders.RETRY_AFTER);
    if (value != null) {
      value = value.strip();
      try {
        return Duration.ofMillis((long) (Double.parseDouble(value) * 1000));
      } catch (NumberFormatException notSeconds) {
        try {
          Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME));
          return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException notADate) {
          return null;
        }
      }
    }
    String ms = headers.getFirst("retry-after-ms");
    if (ms != null) {
      try {
        return Duration.ofMillis((long) Double.parseDouble(ms.strip()));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  @Override
  public void close() {
    connections.dispose();
  }
}

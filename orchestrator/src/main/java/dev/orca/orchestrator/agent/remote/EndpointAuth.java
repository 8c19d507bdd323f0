package dev.orca.orchestrator.agent.remote;

import dev.orca.orchestrator.agent.runtime.Secrets;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The headers an endpoint asks for: its static {@code headers}, and {@code authentication} by secret name —
 * {@code bearer} ({@code Authorization: Bearer <secret>}), {@code api-key} ({@code <header>: <secret>}, header
 * {@code X-API-Key} unless named) or {@code basic} (the secret is {@code user:password}).
 */
final class EndpointAuth {
  private EndpointAuth() {}

  /** Adds the endpoint's headers to {@code headers} once the secret (if any) is read. */
  static Mono<HttpHeaders> headers(JsonNode endpoint, Secrets secrets) {
    HttpHeaders headers = new HttpHeaders();
    for (Map.Entry<String, JsonNode> h : endpoint.path("headers").properties()) {
      headers.set(h.getKey(), h.getValue().asString(""));
    }
    JsonNode auth = endpoint.path("authentication");
    String type = auth.path("type").asString("none");
    if ("none".equals(type) || !auth.has("secretName")) {
      return Mono.just(headers);
    }
    return secrets.get(auth.path("secretName").asString()).map(secret -> {
      switch (type) {
        case "bearer" -> headers.setBearerAuth(secret);
        case "api-key" -> headers.set(auth.path("header").asString("X-API-Key"), secret);
        case "basic" -> headers.set(HttpHeaders.AUTHORIZATION,
            "Basic " + Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));
        default -> { }
      }
      return headers;
    });
  }
}

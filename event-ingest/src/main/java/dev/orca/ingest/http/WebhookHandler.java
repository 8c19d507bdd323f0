package dev.orca.ingest.http;

import dev.orca.ingest.IngestMetrics;
import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.Source;
import dev.orca.ingest.provider.Outcome;
import dev.orca.ingest.provider.Provider;
import dev.orca.ingest.provider.Rejection;
import dev.orca.ingest.provider.Verdict;
import dev.orca.ingest.provider.Webhook;
import dev.orca.ingest.publish.IngestPipeline;
import dev.orca.ingest.verify.WebhookSecrets;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * Handles {@code POST /webhooks/{github,linear,slack}}: rate limit, read the body within the size
 * limit, verify and read it (the source's {@link Provider}), then publish through the
 * {@link IngestPipeline} or answer directly. Every answer is counted in
 * {@code orca_ingest_webhooks_total}.
 */
@Component
public class WebhookHandler {
  private final Map<Source, Provider> providers = new EnumMap<>(Source.class);
  private final Map<Source, RateLimiter> limits = new EnumMap<>(Source.class);
  private final WebhookSecrets secrets;
  private final IngestPipeline pipeline;
  private final IngestMetrics metrics;
  private final BodyReader bodies;

  public WebhookHandler(List<Provider> providers, WebhookSecrets secrets, IngestPipeline pipeline,
      IngestMetrics metrics, IngestProperties properties) {
    providers.forEach(p -> this.providers.put(p.source(), p));
    if (properties.rateLimit() > 0) {
      for (Source source : Source.values()) {
        limits.put(source, new RateLimiter(properties.rateLimit()));
      }
    }
    this.secrets = secrets;
    this.pipeline = pipeline;
    this.metrics = metrics;
    this.bodies = new BodyReader(properties.maxBodySize().toBytes());
  }

  public Mono<ServerResponse> handle(ServerRequest request, Source source) {
    Provider provider = providers.get(source);
    HttpHeaders headers = request.headers().asHttpHeaders();
    String event = provider.eventLabel(headers);
    if (secrets.of(source).isEmpty()) {
      return rejected(request, source, new Rejection(Outcome.NOT_CONFIGURED, 404, "Webhook source not configured",
          "No signing secret is configured for " + source.id() + " webhooks (ORCA_INGEST_" + source.name()
              + "_SECRETS or ORCA_INGEST_" + source.name() + "_SECRET_FILES)", event));
    }
    RateLimiter limit = limits.get(source);
    if (limit != null && !limit.tryAcquire()) {
      return rejected(request, source, new Rejection(Outcome.RATE_LIMITED, 429, "Too many webhooks",
          "More than orca.ingest.rate-limit " + source.id() + " webhooks a second; retry later", event));
    }
    return bodies.read(request, event)
        .flatMap(body -> {
          Verdict verdict = provider.read(headers, body, Instant.now());
          if (verdict instanceof Verdict.Accept accept) {
            return publish(request, accept.webhook());
          }
          Verdict.Answer answer = (Verdict.Answer) verdict;
          metrics.webhook(source, answer.event(), Outcome.ANSWERED);
          return json(HttpStatus.OK, answer.json());
        })
        .onErrorResume(Rejection.class, rejection -> rejected(request, source, rejection));
  }

  private Mono<ServerResponse> publish(ServerRequest request, Webhook webhook) {
    return pipeline.submit(webhook).flatMap(outcome -> {
      metrics.webhook(webhook.source(), webhook.event(), outcome);
      String body = "{\"outcome\":\"" + outcome.label() + "\",\"deliveryId\":" + quoted(webhook.deliveryId()) + "}";
      return switch (outcome) {
        case PUBLISHED, DUPLICATE -> json(HttpStatus.OK, body);
        case QUEUED -> json(HttpStatus.ACCEPTED, body);
        default -> problem(request, HttpStatus.SERVICE_UNAVAILABLE.value(), outcome, "Webhook not accepted",
            "Neither Kafka nor PostgreSQL could take the webhook now (or too many are waiting); retry later");
      };
    });
  }

  /** A small JSON answer, written as it is (no codec lookup for a string the handler made). */
  private static Mono<ServerResponse> json(HttpStatus status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).contentLength(bytes.length)
        .body((response, context) -> response.writeWith(Mono.just(response.bufferFactory().wrap(bytes))));
  }

  private Mono<ServerResponse> rejected(ServerRequest request, Source source, Rejection rejection) {
    metrics.webhook(source, rejection.event(), rejection.outcome());
    return problem(request, rejection.status(), rejection.outcome(), rejection.title(), rejection.getMessage());
  }

  private static Mono<ServerResponse> problem(ServerRequest request, int status, Outcome outcome, String title,
      String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(status), detail);
    problem.setTitle(title);
    problem.setInstance(URI.create(request.path()));
    problem.setProperty("outcome", outcome.label());
    ServerResponse.BodyBuilder response = ServerResponse.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON);
    if (status == 429 || status == 503) {
      response.header(HttpHeaders.RETRY_AFTER, "1");
    }
    return response.bodyValue(problem);
  }

  private static String quoted(String text) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }
}

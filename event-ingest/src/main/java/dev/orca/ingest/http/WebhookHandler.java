package dev.orca.ingest.http;

import dev.orca.ingest.IngestMetrics;
import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.Source;
import dev.orca.ingest.provider.EventLabels;
import dev.orca.ingest.provider.Outcome;
import dev.orca.ingest.provider.Provider;
import dev.orca.ingest.provider.Rejection;
import dev.orca.ingest.provider.Verdict;
import dev.orca.ingest.provider.Webhook;
import dev.orca.ingest.publish.IngestPipeline;
import dev.orca.ingest.verify.WebhookSecrets;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Handles {@code POST /webhooks/{github,linear,slack}} on Reactor Netty directly: rate limit, read the
 * body within the size limit, verify and read it (the source's {@link Provider}), then publish through
 * the {@link IngestPipeline} or answer directly. Every answer is counted in
 * {@code orca_ingest_webhooks_total}. WebFlux's exchange, filters, handler mapping, writers and HTTP
 * observation cost a webhook a quarter of ingest's CPU and gave it nothing it needs: what it did for
 * these paths (problem+json, no stack traces) is done here.
 */
@Component
public class WebhookHandler {
  private static final Logger log = LoggerFactory.getLogger(WebhookHandler.class);
  private static final String JSON = "application/json";
  private static final String PROBLEM_JSON = "application/problem+json";

  private final Map<Source, Provider> providers = new EnumMap<>(Source.class);
  private final Map<Source, RateLimiter> limits = new EnumMap<>(Source.class);
  private final WebhookSecrets secrets;
  private final IngestPipeline pipeline;
  private final IngestMetrics metrics;
  private final BodyReader bodies;
  private final ObjectMapper json;

  public WebhookHandler(List<Provider> providers, WebhookSecrets secrets, IngestPipeline pipeline,
      IngestMetrics metrics, IngestProperties properties, ObjectMapper json) {
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
    this.json = json;
  }

  /** An answer: status, content type and body (429 and 503 also ask for a retry after a second). */
  private record Answer(int status, String contentType, byte[] body) {
    static Answer json(int status, String body) {
      return new Answer(status, JSON, body.getBytes(StandardCharsets.UTF_8));
    }
  }

  public Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response, Source source) {
    return answer(request, source)
        .onErrorResume(e -> {
          log.warn("POST /webhooks/{} failed", source.id(), e);
          metrics.webhook(source, EventLabels.UNKNOWN, Outcome.UNAVAILABLE);
          return Mono.just(problem(source, 500, Outcome.UNAVAILABLE, "Webhook not accepted",
              "ingest failed on this request; retry later"));
        })
        .flatMap(answer -> {
          response.status(answer.status())
              .header(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
              .header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(answer.body().length));
          if (answer.status() == 429 || answer.status() == 503) {
            response.header(HttpHeaderNames.RETRY_AFTER, "1");
          }
          return Mono.from(response.sendByteArray(Mono.just(answer.body())));
        });
  }

  private Mono<Answer> answer(HttpServerRequest request, Source source) {
    Provider provider = providers.get(source);
    HttpHeaders headers = new HttpHeaders(new Netty4HeadersAdapter(request.requestHeaders()));
    String event = provider.eventLabel(headers);
    if (secrets.of(source).isEmpty()) {
      return Mono.just(rejected(source, new Rejection(Outcome.NOT_CONFIGURED, 404, "Webhook source not configured",
          "No signing secret is configured for " + source.id() + " webhooks (ORCA_INGEST_" + source.name()
              + "_SECRETS or ORCA_INGEST_" + source.name() + "_SECRET_FILES)", event)));
    }
    RateLimiter limit = limits.get(source);
    if (limit != null && !limit.tryAcquire()) {
      return Mono.just(rejected(source, new Rejection(Outcome.RATE_LIMITED, 429, "Too many webhooks",
          "More than orca.ingest.rate-limit " + source.id() + " webhooks a second; retry later", event)));
    }
    return bodies.read(request, event)
        .flatMap(body -> {
          Verdict verdict = provider.read(headers, body, Instant.now());
          if (verdict instanceof Verdict.Accept accept) {
            return publish(accept.webhook());
          }
          Verdict.Answer answer = (Verdict.Answer) verdict;
          metrics.webhook(source, answer.event(), Outcome.ANSWERED);
          return Mono.just(Answer.json(200, answer.json()));
        })
        .onErrorResume(Rejection.class, rejection -> Mono.just(rejected(source, rejection)));
  }

  private Mono<Answer> publish(Webhook webhook) {
    return pipeline.submit(webhook).map(outcome -> {
      metrics.webhook(webhook.source(), webhook.event(), outcome);
      String body = "{\"outcome\":\"" + outcome.label() + "\",\"deliveryId\":" + quoted(webhook.deliveryId()) + "}";
      return switch (outcome) {
        case PUBLISHED, DUPLICATE -> Answer.json(200, body);
        case QUEUED -> Answer.json(202, body);
        default -> problem(webhook.source(), 503, outcome, "Webhook not accepted",
            "Neither Kafka nor PostgreSQL could take the webhook now (or too many are waiting); retry later");
      };
    });
  }

  private Answer rejected(Source source, Rejection rejection) {
    metrics.webhook(source, rejection.event(), rejection.outcome());
    return problem(source, rejection.status(), rejection.outcome(), rejection.title(), rejection.getMessage());
  }

  /** RFC 9457 problem+json, with the outcome as an extension member. */
  private Answer problem(Source source, int status, Outcome outcome, String title, String detail) {
    ObjectNode problem = json.createObjectNode()
        .put("type", "about:blank")
        .put("title", title)
        .put("status", status)
        .put("detail", detail)
        .put("instance", "/webhooks/" + source.id())
        .put("outcome", outcome.label());
    return new Answer(status, PROBLEM_JSON, json.writeValueAsBytes(problem));
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

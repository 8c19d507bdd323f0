package dev.orca.gateway.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Lists every upstream's tools as {@code server<separator>tool} and routes {@code tools/call} by that
 * prefix. Every call is measured ({@code orca_gateway_tool_calls_total{server,tool,outcome}},
 * {@code orca_gateway_tool_call_duration_seconds{server,tool}}); a call without the orchestrator's
 * {@code _meta} ({@value #ORCHESTRATOR_META}) is also handed to the {@link CallAudit}, since the
 * orchestrator writes its own calls' rows.
 */
@Component
public class ToolRelay {
  /** The {@code _meta} key the orchestrator puts on its calls. */
  public static final String ORCHESTRATOR_META = "dev.orca/executionId";
  /** Metric label for a server or tool name the gateway does not know (labels carry no free text). */
  static final String UNKNOWN_LABEL = "(unknown)";
  private static final int MAX_PAGES_PER_UPSTREAM = 100;
  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(authorization|password|passwd|secret|token|api[-_]?key|cookie).*");
  private static final Logger log = LoggerFactory.getLogger(ToolRelay.class);

  private final Map<String, Upstream> upstreams = new LinkedHashMap<>();
  private final String separator;
  private final MeterRegistry meters;
  private final CallAudit audit;
  private final Clock clock = Clock.systemUTC();
  private final JsonMapper json;

  public ToolRelay(
      List<Upstream> upstreams,
      @Value("${orca.gateway.tool-separator:.}") String separator,
      MeterRegistry meters,
      CallAudit audit,
      JsonMapper json) {
    if (separator == null || separator.isEmpty()) {
      throw new IllegalArgumentException("orca.gateway.tool-separator must not be empty");
    }
    this.separator = separator;
    this.meters = meters;
    this.audit = audit;
    this.json = json;
    upstreams.stream().sorted(Comparator.comparing(Upstream::name)).forEach(u -> {
      if (u.name().contains(separator)) {
        throw new IllegalArgumentException("upstream name '" + u.name() + "' contains the tool separator '"
            + separator + "'");
      }
      if (this.upstreams.putIfAbsent(u.name(), u) != null) {
        throw new IllegalArgumentException("two upstreams named '" + u.name() + "'");
      }
    });
  }

  public String separator() {
    return separator;
  }

  /**
   * Every upstream's tools, each a copy of the upstream's definition (every field kept) with its name
   * qualified. Upstreams are listed in name order, each followed through all its pages.
   */
  public Mono<ArrayNode> listTools() {
    return Flux.fromIterable(upstreams.values())
        .concatMap(u -> pages(u).map(tool -> qualify(u, tool)))
        .collectList()
        .map(tools -> {
          ArrayNode array = json.createArrayNode();
          tools.forEach(array::add);
          return array;
        });
  }

  private Flux<JsonNode> pages(Upstream upstream) {
    return upstream.listTools(null)
        .expand(page -> {
          String next = page.path("nextCursor").asString(null);
          return next == null || next.isEmpty() ? Mono.empty() : upstream.listTools(next);
        })
        .take(MAX_PAGES_PER_UPSTREAM)
        .flatMapIterable(page -> page.path("tools"));
  }

  private JsonNode qualify(Upstream upstream, JsonNode tool) {
    ObjectNode copy = tool.isObject() ? ((ObjectNode) tool).deepCopy() : json.createObjectNode();
    copy.put("name", upstream.name() + separator + tool.path("name").asString(""));
    return copy;
  }

  /**
   * Calls {@code qualifiedName} on its upstream; emits the {@code CallToolResult} as the upstream gave
   * it. Errors are {@link RelayException}s. Cancelling the returned {@code Mono} cancels the upstream call.
   */
  public Mono<JsonNode> call(String qualifiedName, JsonNode arguments, JsonNode meta) {
    JsonNode args = arguments == null || arguments.isNull() || arguments.isMissingNode()
        ? json.createObjectNode() : arguments;
    JsonNode callMeta = meta == null || !meta.isObject() ? json.createObjectNode() : meta;
    boolean external = !callMeta.has(ORCHESTRATOR_META);
    int at = qualifiedName.indexOf(separator);
    String server = at < 0 ? qualifiedName : qualifiedName.substring(0, at);
    String tool = at < 0 ? "" : qualifiedName.substring(at + separator.length());
    Upstream upstream = at <= 0 || tool.isEmpty() ? null : upstreams.get(server);
    return Mono.defer(() -> {
      Instant startedAt = clock.instant();
      long start = System.nanoTime();
      AtomicBoolean finished = new AtomicBoolean();
      Mono<JsonNode> routed = upstream == null
          ? Mono.error(RelayException.unknownTool(qualifiedName))
          : Mono.defer(() -> upstream.callTool(tool, args, callMeta));
      return routed
          .onErrorMap(e -> !(e instanceof RelayException), e -> e instanceof TimeoutException
              ? new RelayException(RelayException.Reason.TIMEOUT, qualifiedName,
                  "Tool '" + qualifiedName + "' did not answer in time", e)
              : new RelayException(RelayException.Reason.UPSTREAM_ERROR, qualifiedName,
                  "Upstream '" + server + "' failed on tool '" + tool + "': " + e.getMessage(), e))
          .switchIfEmpty(Mono.error(() -> new RelayException(RelayException.Reason.UPSTREAM_ERROR, qualifiedName,
              "Upstream '" + server + "' answered tool '" + tool + "' without a result")))
          .doOnSuccess(result -> {
            if (finished.compareAndSet(false, true)) {
              CallOutcome outcome = result.path("isError").asBoolean(false)
                  ? CallOutcome.TOOL_ERROR : CallOutcome.SUCCESS;
              finish(upstream, server, tool, args, external, outcome, result, null, startedAt, start);
            }
          })
          .doOnError(e -> {
            if (finished.compareAndSet(false, true)) {
              RelayException failure = (RelayException) e;
              CallOutcome outcome = switch (failure.reason()) {
                case UNKNOWN_TOOL -> CallOutcome.REJECTED;
                case TIMEOUT -> CallOutcome.TIMEOUT;
                case UPSTREAM_ERROR -> CallOutcome.UPSTREAM_ERROR;
              };
              finish(upstream, server, tool, args, external, outcome, null, e.getMessage(), startedAt, start);
            }
          })
          .doOnCancel(() -> {
            if (finished.compareAndSet(false, true)) {
              finish(upstream, server, tool, args, external, CallOutcome.CANCELLED, null,
                  "cancelled by the client", startedAt, start);
            }
          });
    });
  }

  private void finish(Upstream upstream, String server, String tool, JsonNode args, boolean external,
      CallOutcome outcome, JsonNode result, String error, Instant startedAt, long startNanos) {
    long nanos = System.nanoTime() - startNanos;
    // A rejected name is caller's free text: it never becomes a label.
    boolean known = upstream != null && outcome != CallOutcome.REJECTED;
    String serverLabel = upstream != null ? server : UNKNOWN_LABEL;
    String toolLabel = known ? tool : UNKNOWN_LABEL;
    try {
      Counter.builder("orca.gateway.tool.calls")
          .description("Tool calls relayed by the gateway, by how they ended")
          .tags("server", serverLabel, "tool", toolLabel, "outcome", outcome.label())
          .register(meters)
          .increment();
      Timer.builder("orca.gateway.tool.call.duration")
          .description("Duration of tool calls relayed by the gateway")
          .tags("server", serverLabel, "tool", toolLabel)
          .publishPercentileHistogram()
          .register(meters)
          .record(Duration.ofNanos(nanos));
      if (external) {
        audit.record(new CallRecord(server, tool, redact(args), result, error, outcome, startedAt,
            clock.instant(), nanos / 1_000_000));
      }
    } catch (RuntimeException e) {
      log.warn("Could not record the tool call {}{}{}: {}", server, separator, tool, e.toString());
    }
  }

  /** A copy of {@code node} with the values of secret-looking keys (tokens, passwords, …) replaced. */
  static JsonNode redact(JsonNode node) {
    if (node.isObject()) {
      ObjectNode copy = ((ObjectNode) node).deepCopy();
      redactInPlace(copy);
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = ((ArrayNode) node).deepCopy();
      redactInPlace(copy);
      return copy;
    }
    return node;
  }

  private static void redactInPlace(JsonNode node) {
    if (node instanceof ObjectNode object) {
      for (String key : List.copyOf(object.propertyNames())) {
        if (SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches()) {
          object.put(key, "[redacted]");
        } else {
          redactInPlace(object.get(key));
        }
      }
    } else if (node instanceof ArrayNode array) {
      array.forEach(ToolRelay::redactInPlace);
    }
  }
}

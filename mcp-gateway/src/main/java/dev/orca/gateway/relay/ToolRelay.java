package dev.orca.gateway.relay;

import dev.orca.common.toolcall.ToolCallOutcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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

  private final Map<String, Upstream> fixed = new LinkedHashMap<>();
  private final Map<String, CallMeters> callMeters = new ConcurrentHashMap<>();
  private volatile Registered registered = new Registered(Map.of(), Set.of());
  private final String separator;
  private final int pageSize;
  private final MeterRegistry meters;
  private final CallAudit audit;
  private final Clock clock = Clock.systemUTC();
  private final JsonMapper json;

  /** The registry's upstreams: enabled ones by name, and the names of disabled ones. */
  private record Registered(Map<String, Upstream> enabled, Set<String> disabled) {}

  public ToolRelay(
      List<Upstream> upstreams,
      @Value("${orca.gateway.tool-separator:.}") String separator,
      @Value("${orca.gateway.tools-page-size:100}") int pageSize,
      MeterRegistry meters,
      CallAudit audit,
      JsonMapper json) {
    if (separator == null || separator.isEmpty()) {
      throw new IllegalArgumentException("orca.gateway.tool-separator must not be empty");
    }
    if (pageSize < 1) {
      throw new IllegalArgumentException("orca.gateway.tools-page-size must be at least 1");
    }
    this.separator = separator;
    this.pageSize = pageSize;
    this.meters = meters;
    this.audit = audit;
    this.json = json;
    upstreams.stream().sorted(Comparator.comparing(Upstream::name)).forEach(u -> {
      if (u.name().contains(separator)) {
        throw new IllegalArgumentException("upstream name '" + u.name() + "' contains the tool separator '"
            + separator + "'");
      }
      if (this.fixed.putIfAbsent(u.name(), u) != null) {
        throw new IllegalArgumentException("two upstreams named '" + u.name() + "'");
      }
    });
  }

  public String separator() {
    return separator;
  }

  /** The upstreams built into this process (builtin), which the registry cannot replace. */
  public Set<String> fixedNames() {
    return Set.copyOf(fixed.keySet());
  }

  /**
   * Replaces the registry's upstreams (enabled ones, and the names of disabled ones, which calls are told
   * about). A name taken by a built-in upstream or containing the separator is skipped.
   */
  public void replaceRegistered(Map<String, Upstream> enabled, Set<String> disabled) {
    Map<String, Upstream> accepted = new TreeMap<>();
    enabled.forEach((name, upstream) -> {
      if (fixed.containsKey(name) || name.contains(separator)) {
        log.warn("Registered MCP server '{}' ignored: its name is taken or contains the separator", name);
      } else {
        accepted.put(name, upstream);
      }
    });
    registered = new Registered(Map.copyOf(accepted), Set.copyOf(disabled));
  }

  /** Every upstream in name order: built-in and registered. */
  private List<Upstream> upstreams() {
    Map<String, Upstream> all = new TreeMap<>(registered.enabled());
    all.putAll(fixed);
    return List.copyOf(all.values());
  }

  private Upstream upstream(String name) {
    Upstream u = fixed.get(name);
    return u != null ? u : registered.enabled().get(name);
  }

  /**
   * Every available upstream's tools, each a copy of the upstream's definition (every field kept) with its
   * name qualified. Upstreams are listed in name order, each followed through all its pages; an upstream
   * that fails to list is left out (and logged), so one broken server does not hide the others.
   */
  public Mono<ArrayNode> listTools() {
    return Flux.fromIterable(upstreams())
        .filter(Upstream::available)
        .concatMap(u -> pages(u).map(tool -> qualify(u, tool))
            .onErrorResume(e -> {
              log.warn("Upstream '{}' could not list its tools: {}", u.name(), e.getMessage());
              return Flux.empty();
            }))
        .collectList()
        .map(tools -> {
          ArrayNode array = json.createArrayNode();
          tools.forEach(array::add);
          return array;
        });
  }

  /** The built-in upstreams (builtin), which have no registry row. */
  public List<Upstream> fixedUpstreams() {
    return List.copyOf(fixed.values());
  }

  /** Every tool of {@code upstream} (its own names), following its pages. */
  public Flux<JsonNode> pages(Upstream upstream) {
    return upstream.listTools(null)
        .expand(page -> {
          String next = page.path("nextCursor").asString(null);
          return next == null || next.isEmpty() ? Mono.empty() : upstream.listTools(next);
        })
        .take(MAX_PAGES_PER_UPSTREAM)
        .flatMapIterable(page -> page.path("tools"));
  }

  /**
   * One page of {@code tools/list} ({@code {tools, nextCursor?}}), at most {@code orca.gateway.tools-page-size}
   * tools, walking the available upstreams in name order through their own pages. The gateway's cursor
   * names the upstream, the upstream's cursor and the offset in that page, so paging resumes exactly there
   * (at the next upstream by name if that one has gone). A cursor this gateway did not issue is an
   * {@link IllegalArgumentException}.
   */
  public Mono<ObjectNode> listPage(String cursor) {
    PageCursor from = cursor == null ? null : PageCursor.decode(json, cursor);
    List<Upstream> order = upstreams().stream().filter(Upstream::available).toList();
    int index = 0;
    String upstreamCursor = null;
    int offset = 0;
    if (from != null) {
      while (index < order.size() && order.get(index).name().compareTo(from.server()) < 0) {
        index++;
      }
      if (index < order.size() && order.get(index).name().equals(from.server())) {
        upstreamCursor = from.upstreamCursor();
        offset = from.offset();
      }
    }
    return fill(order, index, upstreamCursor, offset, json.createArrayNode(), 0);
  }

  private Mono<ObjectNode> fill(List<Upstream> order, int index, String upstreamCursor, int offset,
      ArrayNode acc, int fetched) {
    if (index >= order.size()) {
      return Mono.just(page(acc, null));
    }
    Upstream u = order.get(index);
    if (acc.size() >= pageSize || fetched >= MAX_PAGES_PER_UPSTREAM) {
      return Mono.just(page(acc, new PageCursor(u.name(), upstreamCursor, offset).encode(json)));
    }
    return u.listTools(upstreamCursor)
        .onErrorResume(e -> {
          log.warn("Upstream '{}' could not list its tools: {}", u.name(), e.getMessage());
          return Mono.just(json.createObjectNode());
        })
        .defaultIfEmpty(json.createObjectNode())
        .flatMap(listing -> {
          JsonNode tools = listing.path("tools");
          for (int i = offset; i < tools.size(); i++) {
            if (acc.size() >= pageSize) {
              return Mono.just(page(acc, new PageCursor(u.name(), upstreamCursor, i).encode(json)));
            }
            acc.add(qualify(u, tools.get(i)));
          }
          String next = listing.path("nextCursor").asString(null);
          return next == null || next.isEmpty()
              ? fill(order, index + 1, null, 0, acc, fetched + 1)
              : fill(order, index, next, 0, acc, fetched + 1);
        });
  }

  private ObjectNode page(ArrayNode tools, String nextCursor) {
    ObjectNode page = json.createObjectNode();
    page.set("tools", tools);
    if (nextCursor != null) {
      page.put("nextCursor", nextCursor);
    }
    return page;
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
    return callEvents(qualifiedName, arguments, meta).filter(RelayEvent::isResult).next().map(RelayEvent::result);
  }

  /**
   * Like {@link #call}, preceded by the upstream's progress notifications: the last event is the result.
   */
  public Flux<RelayEvent> callEvents(String qualifiedName, JsonNode arguments, JsonNode meta) {
    JsonNode args = arguments == null || arguments.isNull() || arguments.isMissingNode()
        ? json.createObjectNode() : arguments;
    JsonNode callMeta = meta == null || !meta.isObject() ? json.createObjectNode() : meta;
    boolean external = !callMeta.has(ORCHESTRATOR_META);
    int at = qualifiedName.indexOf(separator);
    String server = at < 0 ? qualifiedName : qualifiedName.substring(0, at);
    String tool = at < 0 ? "" : qualifiedName.substring(at + separator.length());
    Upstream upstream = at <= 0 || tool.isEmpty() ? null : upstream(server);
    boolean disabled = upstream == null && at > 0 && registered.disabled().contains(server);
    return Flux.defer(() -> {
      Instant startedAt = external ? clock.instant() : null; // only the audit row needs it
      long start = System.nanoTime();
      AtomicBoolean finished = new AtomicBoolean();
      AtomicBoolean answered = new AtomicBoolean();
      Flux<RelayEvent> routed;
      if (upstream != null) {
        routed = Flux.defer(() -> upstream.callToolEvents(tool, args, callMeta));
      } else if (disabled) {
        routed = Flux.error(new RelayException(RelayException.Reason.SERVER_DISABLED, qualifiedName, "MCP server '"
            + server + "' is disabled: enable it (PUT /api/v1/mcp-servers/" + server + " with \"enabled\": true) "
            + "or call another server's tool"));
      } else {
        routed = Flux.error(RelayException.unknownTool(qualifiedName));
      }
      return routed
          .onErrorMap(e -> toRelayException(e, qualifiedName, server, tool))
          .takeUntil(RelayEvent::isResult)
          .concatWith(Mono.defer(() -> answered.get() ? Mono.empty() : Mono.error(new RelayException(
              RelayException.Reason.UPSTREAM_ERROR, qualifiedName,
              "Upstream '" + server + "' answered tool '" + tool + "' without a result"))))
          .doOnNext(event -> {
            // runs before the source completes, so the check above sees it
            if (event.isResult()) {
              answered.set(true);
            }
            if (event.isResult() && finished.compareAndSet(false, true)) {
              ToolCallOutcome outcome = event.result().path("isError").asBoolean(false)
                  ? ToolCallOutcome.TOOL_ERROR : ToolCallOutcome.SUCCESS;
              finish(upstream, server, tool, args, external, outcome, event.result(), null, startedAt, start);
            }
          })
          .doOnError(e -> {
            if (finished.compareAndSet(false, true)) {
              RelayException failure = (RelayException) e;
              finish(upstream, server, tool, args, external, failure.reason().outcome(), null, e.getMessage(),
                  startedAt, start);
            }
          })
          .doOnCancel(() -> {
            if (finished.compareAndSet(false, true)) {
              finish(upstream, server, tool, args, external, ToolCallOutcome.CANCELLED, null,
                  "cancelled by the client", startedAt, start);
            }
          });
    });
  }

  private static RelayException toRelayException(Throwable e, String qualifiedName, String server, String tool) {
    if (e instanceof RelayException relay) {
      return relay.tool().equals(qualifiedName) ? relay : relay.qualified(qualifiedName);
    }
    if (e instanceof TimeoutException) {
      return new RelayException(RelayException.Reason.TIMEOUT, qualifiedName,
          "Tool '" + qualifiedName + "' did not answer in time", e);
    }
    return new RelayException(RelayException.Reason.UPSTREAM_ERROR, qualifiedName,
        "Upstream '" + server + "' failed on tool '" + tool + "': " + e.getMessage(), e);
  }

  private void finish(Upstream upstream, String server, String tool, JsonNode args, boolean external,
      ToolCallOutcome outcome, JsonNode result, String error, Instant startedAt, long startNanos) {
    long nanos = System.nanoTime() - startNanos;
    // A rejected name is caller's free text: it never becomes a label.
    boolean known = upstream != null && outcome != ToolCallOutcome.REJECTED;
    String serverLabel = upstream != null ? server : UNKNOWN_LABEL;
    String toolLabel = known ? tool : UNKNOWN_LABEL;
    try {
      meters(serverLabel, toolLabel, outcome).record(nanos);
      if (external) {
        audit.record(new CallRecord(server, tool, redact(args), result, error, outcome, startedAt,
            clock.instant(), nanos / 1_000_000));
      }
    } catch (RuntimeException e) {
      log.warn("Could not record the tool call {}{}{}: {}", server, separator, tool, e.toString());
    }
  }

  /** The counter and timer of one (server, tool, outcome), registered once (registration is not free per call). */
  private record CallMeters(Counter calls, Timer duration) {
    void record(long nanos) {
      calls.increment();
      duration.record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  private CallMeters meters(String server, String tool, ToolCallOutcome outcome) {
    return callMeters.computeIfAbsent(server + '\n' + tool + '\n' + outcome.outcome(), key -> new CallMeters(
        Counter.builder("orca.gateway.tool.calls")
            .description("Tool calls relayed by the gateway, by how they ended")
            .tags("server", server, "tool", tool, "outcome", outcome.outcome())
            .register(meters),
        Timer.builder("orca.gateway.tool.call.duration")
            .description("Duration of tool calls relayed by the gateway")
            .tags("server", server, "tool", tool)
            .publishPercentileHistogram()
            .register(meters)));
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

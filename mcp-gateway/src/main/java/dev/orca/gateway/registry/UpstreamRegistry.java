package dev.orca.gateway.registry;

import dev.orca.gateway.relay.RelayException;
import dev.orca.gateway.relay.ToolRelay;
import dev.orca.gateway.relay.Upstream;
import dev.orca.gateway.upstream.RemoteUpstream;
import dev.orca.gateway.upstream.ResilienceSettings;
import dev.orca.gateway.upstream.Secrets;
import dev.orca.gateway.upstream.UpstreamSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Keeps the relay's upstreams in line with {@code mcp_servers}: every enabled row becomes a
 * {@link RemoteUpstream} (rebuilt when its definition changes, so its tool cache starts afresh), disabled
 * rows are named to the relay (calls to them get "server disabled"). Refreshed after each change through
 * the API on this replica and every {@code orca.gateway.upstream.refresh-interval} (changes made on other
 * replicas).
 *
 * <p>Health: every {@code orca.gateway.upstream.health.interval} each remote upstream is checked
 * ({@link RemoteUpstream#check}); after {@code …health.failure-threshold} consecutive failures it is marked
 * down (left out of {@code tools/list}), and up again on the first success. Each check writes
 * {@code health_status} ({@code up}/{@code down}) and {@code last_health_check}; the gauge
 * {@code orca_gateway_upstream_up{server}} is 1 or 0.
 */
@Component
public class UpstreamRegistry implements SmartLifecycle {
  static final String UP = "up";
  static final String DOWN = "down";
  private static final Logger log = LoggerFactory.getLogger(UpstreamRegistry.class);

  /** A built upstream and the definition it was built from. */
  private record Entry(JsonNode definition, Upstream upstream) {}

  private final McpServerStore store;
  private final ToolCatalogue catalogue;
  private final ToolRelay relay;
  private final Secrets secrets;
  private final EndpointPolicy policy;
  private final JsonMapper json;
  private final MeterRegistry meters;
  private final ResilienceSettings resilience;
  private final Duration defaultTimeout;
  private final int defaultMaxConcurrentCalls;
  private final Duration refreshInterval;
  private final Duration healthInterval;
  private final int failureThreshold;
  private final ConnectionProvider connections;
  private final WebClient web;
  private final HttpClient http;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> up = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
  private final Object swap = new Object();
  private volatile Disposable loops;

  public UpstreamRegistry(
      McpServerStore store,
      ToolCatalogue catalogue,
      ToolRelay relay,
      Secrets secrets,
      EndpointPolicy policy,
      JsonMapper json,
      MeterRegistry meters,
      @Value("${orca.gateway.upstream.timeout:30s}") Duration defaultTimeout,
      @Value("${orca.gateway.upstream.max-concurrent-calls:64}") int defaultMaxConcurrentCalls,
      @Value("${orca.gateway.upstream.refresh-interval:30s}") Duration refreshInterval,
      @Value("${orca.gateway.upstream.health.interval:30s}") Duration healthInterval,
      @Value("${orca.gateway.upstream.health.failure-threshold:3}") int failureThreshold,
      @Value("${orca.gateway.upstream.circuit-breaker.window:20}") int breakerWindow,
      @Value("${orca.gateway.upstream.circuit-breaker.minimum-calls:10}") int breakerMinimumCalls,
      @Value("${orca.gateway.upstream.circuit-breaker.failure-rate:50}") float breakerFailureRate,
      @Value("${orca.gateway.upstream.circuit-breaker.open-for:30s}") Duration breakerOpenFor,
      @Value("${orca.gateway.upstream.retries:2}") int retries,
      @Value("${orca.gateway.upstream.retry-backoff:100ms}") Duration retryBackoff,
      @Value("${orca.gateway.upstream.tools-cache-ttl:5m}") Duration toolsCacheTtl,
      @Value("${orca.gateway.upstream.max-connections:500}") int maxConnections) {
    this.store = store;
    this.catalogue = catalogue;
    this.relay = relay;
    this.secrets = secrets;
    this.policy = policy;
    this.json = json;
    this.meters = meters;
    this.defaultTimeout = defaultTimeout;
    this.defaultMaxConcurrentCalls = defaultMaxConcurrentCalls;
    this.refreshInterval = refreshInterval;
    this.healthInterval = healthInterval;
    this.failureThreshold = Math.max(1, failureThreshold);
    this.resilience = new ResilienceSettings(breakerWindow, breakerMinimumCalls, breakerFailureRate, breakerOpenFor,
        retries, retryBackoff, toolsCacheTtl);
    this.connections = ConnectionProvider.builder("orca-upstreams")
        .maxConnections(maxConnections)
        .pendingAcquireMaxCount(-1)
        .maxIdleTime(Duration.ofSeconds(30))
        .build();
    this.http = HttpClient.create(connections).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    this.web = WebClient.builder()
        .clientConnector(new ReactorClientHttpConnector(http))
        .codecs(c -> c.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
        .build();
  }

  /** Re-reads {@code mcp_servers} and hands the relay the upstreams it describes. */
  public Mono<Void> refresh() {
    return store.all().collectList()
        .flatMap(rows -> Flux.fromIterable(rows)
            .filter(row -> row.path("enabled").asBoolean(false))
            .flatMap(row -> {
              String name = row.path("name").asString();
              Entry current = entries.get(name);
              JsonNode definition = definition(row);
              // a broken upstream is rebuilt every time (its secret or DNS name may be there now)
              if (current != null && current.definition().equals(definition)
                  && current.upstream() instanceof RemoteUpstream) {
                return Mono.just(Map.entry(name, current));
              }
              return build(definition).map(u -> Map.entry(name, new Entry(definition, u)));
            })
            .collectMap(Map.Entry::getKey, Map.Entry::getValue)
            .doOnNext(built -> install(built, rows)))
        .then();
  }

  private void install(Map<String, Entry> built, List<ObjectNode> rows) {
    Set<String> disabled = new HashSet<>();
    rows.stream().filter(r -> !r.path("enabled").asBoolean(false)).forEach(r -> disabled.add(r.path("name").asString()));
    synchronized (swap) {
      Map<String, Upstream> enabled = new HashMap<>();
      built.forEach((name, entry) -> enabled.put(name, entry.upstream()));
      relay.replaceRegistered(enabled, disabled);
      entries.forEach((name, old) -> {
        Entry now = built.get(name);
        if ((now == null || now.upstream() != old.upstream()) && old.upstream() instanceof RemoteUpstream r) {
          r.close();
        }
      });
      entries.keySet().retainAll(built.keySet());
      entries.putAll(built);
      built.forEach((name, entry) -> gauge(name).set(entry.upstream().available() ? 1 : 0));
      up.keySet().stream().filter(name -> !built.containsKey(name)).toList().forEach(name -> {
        up.remove(name);
        failures.remove(name);
        Optional.ofNullable(meters.find("orca.gateway.upstream.up").tag("server", name).gauge()).ifPresent(meters::remove);
      });
    }
  }

  /** The parts of a row that define the upstream (not its health or timestamps). */
  private JsonNode definition(ObjectNode row) {
    ObjectNode d = json.createObjectNode();
    for (String field : List.of("name", "endpoint", "config", "health_check_url")) {
      d.set(field, row.get(field));
    }
    return d;
  }

  private Mono<Upstream> build(JsonNode d) {
    String name = d.path("name").asString();
    String endpoint = d.path("endpoint").asString();
    String healthUrl = d.path("health_check_url").asString(null);
    JsonNode config = d.path("config");
    Mono<List<String>> problems = policy.addressProblems("endpoint", endpoint, true)
        .zipWith(healthUrl == null ? Mono.just(List.<String>of()) : policy.addressProblems("health_check_url", healthUrl, true),
            (a, b) -> {
              List<String> all = new java.util.ArrayList<>(policy.urlProblems("endpoint", endpoint));
              all.addAll(a);
              all.addAll(b);
              return all;
            });
    return problems.flatMap(errors -> Mono.fromCallable(() -> {
      if (!errors.isEmpty()) {
        return broken(name, "its endpoint is refused: " + String.join("; ", errors));
      }
      JsonNode auth = config.path("auth");
      Map<String, String> headers = new HashMap<>();
      if (auth.isObject()) {
        String secretName = auth.path("secret_name").asString("");
        Optional<String> secret = secrets.resolve(secretName);
        if (secret.isEmpty()) {
          return broken(name, "its secret '" + secretName + "' is not set (" + secrets.whereFor(secretName) + ")");
        }
        if (auth.path("type").asString("").equals("bearer")) {
          headers.put("Authorization", "Bearer " + secret.get());
        } else {
          headers.put(auth.path("header").asString(), secret.get());
        }
      }
      Duration timeout = config.path("timeout_ms").isIntegralNumber()
          ? Duration.ofMillis(config.get("timeout_ms").asLong()) : defaultTimeout;
      int maxConcurrent = config.path("max_concurrent_calls").isIntegralNumber()
          ? config.get("max_concurrent_calls").asInt() : defaultMaxConcurrentCalls;
      UpstreamSettings settings = new UpstreamSettings(name, URI.create(endpoint),
          healthUrl == null ? null : URI.create(healthUrl), timeout, maxConcurrent, Map.copyOf(headers));
      log.info("Upstream '{}' registered at {}", name, endpoint);
      return (Upstream) new RemoteUpstream(settings, resilience, web, http, json);
    }).subscribeOn(Schedulers.boundedElastic()));
  }

  /** An upstream that cannot be built: listed nowhere, and every call says why. */
  private Upstream broken(String name, String why) {
    log.warn("Upstream '{}' is not usable: {}", name, why);
    return new Upstream() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Mono<JsonNode> listTools(String cursor) {
        return Mono.just(json.createObjectNode().set("tools", json.createArrayNode()));
      }

      @Override
      public Mono<JsonNode> callTool(String tool, JsonNode arguments, JsonNode meta) {
        return Mono.error(new RelayException(RelayException.Reason.UPSTREAM_ERROR, tool, "MCP server '" + name
            + "' is misconfigured: " + why + "; fix it with PUT /api/v1/mcp-servers/" + name));
      }

      @Override
      public boolean available() {
        return false;
      }
    };
  }

  /**
   * Writes every available remote upstream's current tools into the {@code tools} catalogue (pages come
   * from the upstream's cache, so this costs the upstreams nothing while their lists are unchanged).
   */
  public Mono<Void> syncCatalogue() {
    return Flux.fromIterable(List.copyOf(entries.values()))
        .map(Entry::upstream)
        .ofType(RemoteUpstream.class)
        .filter(Upstream::available)
        .concatMap(u -> relay.pages(u).collectList()
            .flatMap(tools -> catalogue.sync(u.name(), tools))
            .onErrorResume(e -> {
              log.warn("Could not update the tool catalogue of upstream '{}': {}", u.name(), e.getMessage());
              return Mono.empty();
            }))
        .then();
  }

  /** One round of health checks over every remote upstream. */
  public Mono<Void> checkHealth() {
    return Flux.fromIterable(List.copyOf(entries.values()))
        .map(Entry::upstream)
        .ofType(RemoteUpstream.class)
        .flatMap(u -> u.check().flatMap(ok -> record(u, ok)), 8)
        .then();
  }

  private Mono<Void> record(RemoteUpstream u, boolean ok) {
    AtomicInteger failed = failures.computeIfAbsent(u.name(), n -> new AtomicInteger());
    boolean wasUp = u.available();
    boolean nowUp = ok || (wasUp && failed.get() + 1 < failureThreshold);
    failed.set(ok ? 0 : failed.get() + 1);
    if (wasUp != nowUp) {
      log.info("Upstream '{}' is {}", u.name(), nowUp ? "up again" : "down after " + failed.get() + " failed health checks");
      u.markAvailable(nowUp);
      if (nowUp) {
        u.invalidateTools();
      }
    }
    gauge(u.name()).set(nowUp ? 1 : 0);
    return store.writeHealth(u.name(), nowUp ? UP : DOWN, OffsetDateTime.now(ZoneOffset.UTC))
        .onErrorResume(e -> {
          log.warn("Could not record the health of upstream '{}': {}", u.name(), e.toString());
          return Mono.empty();
        });
  }

  private AtomicInteger gauge(String name) {
    return up.computeIfAbsent(name, n -> {
      AtomicInteger value = new AtomicInteger(1);
      Gauge.builder("orca.gateway.upstream.up", value, AtomicInteger::get)
          .description("1 while the upstream MCP server passes health checks, else 0")
          .tag("server", n)
          .register(meters);
      return value;
    });
  }

  // ---------------------------------------------------------------- lifecycle

  @Override
  public void start() {
    relay.fixedNames().forEach(name -> gauge(name).set(1));
    Flux<Void> refreshes = Flux.interval(Duration.ZERO, refreshInterval)
        .onBackpressureDrop()
        .concatMap(tick -> refresh().then(syncCatalogue()).onErrorResume(e -> {
          log.warn("Could not refresh the MCP server registry: {}", e.toString());
          return Mono.empty();
        }), 1);
    Flux<Void> checks = Flux.interval(healthInterval, healthInterval)
        .onBackpressureDrop()
        .concatMap(tick -> checkHealth().onErrorResume(e -> {
          log.warn("Health checks failed: {}", e.toString());
          return Mono.empty();
        }), 1);
    loops = Flux.merge(refreshes, checks).subscribe();
  }

  @Override
  public void stop() {
    Disposable d = loops;
    if (d != null) {
      d.dispose();
    }
    entries.values().forEach(e -> {
      if (e.upstream() instanceof RemoteUpstream r) {
        r.close();
      }
    });
    connections.dispose();
  }

  @Override
  public boolean isRunning() {
    return loops != null && !loops.isDisposed();
  }
}

package dev.orca.gateway.registry;

import dev.orca.gateway.builtin.BuiltinUpstream;
import dev.orca.gateway.relay.ToolRelay;
import dev.orca.gateway.upstream.Secrets;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/v1/mcp-servers}: CRUD over the upstream registry, and {@code GET /api/v1/tools}.
 *
 * <p>An endpoint must be an absolute http(s) URL whose host is in {@code orca.gateway.upstream.allowed-hosts}
 * (exact, or {@code *.example.com}; empty refuses every host), so the registry cannot be pointed at
 * internal addresses. Upstream auth is {@code config.auth = {type: bearer|header, secret_name, header?}}:
 * secrets are referenced by name and never stored. Invalid input is a 400 problem listing every problem.
 */
@RestController
@RequestMapping("/api/v1")
class McpServerApi {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,255}");
  private static final Set<String> AUTH_KEYS = Set.of("type", "secret_name", "header");
  private static final int DEFAULT_LIMIT = 50;
  private static final int MAX_LIMIT = 200;

  private static final Pattern SECRET_KEY =
      Pattern.compile("(?i).*(authorization|password|passwd|secret|token|api[-_]?key|cookie|credential).*");

  private final McpServerStore store;
  private final ToolRelay relay;
  private final JsonMapper json;
  private final EndpointPolicy policy;
  private final UpstreamRegistry registry;
  private final ToolCatalogue catalogue;

  McpServerApi(McpServerStore store, ToolRelay relay, JsonMapper json, EndpointPolicy policy,
      UpstreamRegistry registry, ToolCatalogue catalogue) {
    this.catalogue = catalogue;
    this.store = store;
    this.relay = relay;
    this.json = json;
    this.policy = policy;
    this.registry = registry;
  }

  @PostMapping("/mcp-servers")
  Mono<ResponseEntity<JsonNode>> create(@RequestBody JsonNode body) {
    McpServerStore.McpServerInput in = validate(body);
    return checkAddresses(in).then(store.insert(in))
        .map(row -> ResponseEntity.created(URI.create("/api/v1/mcp-servers/" + in.name())).body((JsonNode) row))
        .onErrorMap(McpServerStore.DuplicateName.class, e -> problem(HttpStatus.CONFLICT,
            "An MCP server named '" + in.name() + "' exists already", null))
        .flatMap(created -> refreshed(created));
  }

  /**
   * {@code value} once the registry has taken the change in (a failed refresh is retried by the periodic
   * one); the catalogue follows in the background.
   */
  private <T> Mono<T> refreshed(T value) {
    return registry.refresh()
        .doOnSuccess(done -> registry.syncCatalogue().subscribe())
        .onErrorResume(e -> Mono.empty())
        .thenReturn(value);
  }

  /**
   * 400 when the endpoint or health URL resolves to an internal address (SSRF guard). A name that does not
   * resolve yet is accepted here; the registry checks again whenever it builds the upstream.
   */
  private Mono<Void> checkAddresses(McpServerStore.McpServerInput in) {
    Mono<List<String>> health = in.healthCheckUrl() == null ? Mono.just(List.of())
        : policy.addressProblems("health_check_url", in.healthCheckUrl(), false);
    return policy.addressProblems("endpoint", in.endpoint(), false).zipWith(health, (a, b) -> {
      List<String> all = new ArrayList<>(a);
      all.addAll(b);
      return all;
    }).flatMap(errors -> errors.isEmpty() ? Mono.empty()
        : Mono.error(problem(HttpStatus.BAD_REQUEST, "The MCP server definition is invalid", errors)));
  }

  @GetMapping("/mcp-servers")
  Mono<JsonNode> list(@RequestParam(required = false) Integer limit, @RequestParam(required = false) String cursor) {
    int n = limit == null ? DEFAULT_LIMIT : limit;
    if (n < 1 || n > MAX_LIMIT) {
      throw problem(HttpStatus.BAD_REQUEST, "limit must be from 1 to " + MAX_LIMIT, null);
    }
    String after;
    try {
      after = cursor == null ? null : new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw problem(HttpStatus.BAD_REQUEST, "cursor is not one this API issued", null);
    }
    return store.list(after, n + 1).collectList().map(rows -> {
      ObjectNode page = json.createObjectNode();
      ArrayNode items = page.putArray("items");
      rows.stream().limit(n).forEach(items::add);
      if (rows.size() > n) {
        String last = rows.get(n - 1).path("name").asString();
        page.put("next_cursor", Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8)));
      }
      return page;
    });
  }

  @GetMapping("/mcp-servers/{name}")
  Mono<JsonNode> get(@PathVariable String name) {
    return store.find(name).map(r -> (JsonNode) r).switchIfEmpty(Mono.error(() -> notFound(name)));
  }

  @PutMapping("/mcp-servers/{name}")
  Mono<JsonNode> update(@PathVariable String name, @RequestBody JsonNode body) {
    McpServerStore.McpServerInput in = validate(body);
    return checkAddresses(in).then(store.update(name, in)).map(r -> (JsonNode) r)
        .switchIfEmpty(Mono.error(() -> notFound(name)))
        .onErrorMap(McpServerStore.DuplicateName.class, e -> problem(HttpStatus.CONFLICT,
            "An MCP server named '" + in.name() + "' exists already", null))
        .flatMap(this::refreshed);
  }

  @DeleteMapping("/mcp-servers/{name}")
  Mono<ResponseEntity<Void>> delete(@PathVariable String name) {
    return store.delete(name).flatMap(deleted -> deleted
        ? refreshed(ResponseEntity.noContent().<Void>build())
        : Mono.error(notFound(name)));
  }

  /**
   * The tool catalogue: the built-in upstreams' tools (live) and the {@code tools} table (registered,
   * enabled servers' tools as last listed), optionally of one server and/or with one capability.
   */
  @GetMapping("/tools")
  Mono<JsonNode> tools(@RequestParam(required = false) String server, @RequestParam(required = false) String capability) {
    Flux<JsonNode> fixed = capability != null ? Flux.empty() : Flux.fromIterable(relay.fixedUpstreams())
        .filter(u -> server == null || u.name().equals(server))
        .concatMap(u -> relay.pages(u).map(tool -> {
          ObjectNode item = json.createObjectNode();
          item.put("server", u.name());
          item.put("name", tool.path("name").asString(""));
          for (String field : List.of("description", "inputSchema", "outputSchema", "annotations")) {
            item.set(field, tool.has(field) ? tool.get(field) : json.nullNode());
          }
          item.putArray("capabilities");
          return item;
        }));
    return Flux.concat(fixed, catalogue.find(server, capability))
        .map(item -> {
          ObjectNode o = (ObjectNode) item;
          o.put("tool", o.path("name").asString());
          o.put("name", o.path("server").asString() + relay.separator() + o.path("name").asString());
          return (JsonNode) o;
        })
        .collectList()
        .map(list -> {
          ObjectNode page = json.createObjectNode();
          ArrayNode items = page.putArray("items");
          list.forEach(items::add);
          return page;
        });
  }

  // ---------------------------------------------------------------- validation

  private McpServerStore.McpServerInput validate(JsonNode body) {
    List<String> errors = new ArrayList<>();
    if (body == null || !body.isObject()) {
      throw problem(HttpStatus.BAD_REQUEST, "The body must be a JSON object", List.of("body: not an object"));
    }
    String name = body.path("name").asString("");
    if (!NAME.matcher(name).matches()) {
      errors.add("name: 1-255 letters, digits, '_' or '-' (it prefixes tool names, so no '.')");
    } else if (name.contains(relay.separator())) {
      errors.add("name: must not contain the tool separator '" + relay.separator() + "'");
    } else if (name.equals(BuiltinUpstream.NAME)) {
      errors.add("name: 'builtin' is the gateway's own server");
    }
    String endpoint = body.path("endpoint").asString("");
    errors.addAll(policy.urlProblems("endpoint", endpoint));
    JsonNode health = body.get("health_check_url");
    String healthUrl = health == null || health.isNull() ? null : health.asString("");
    if (healthUrl != null) {
      errors.addAll(policy.urlProblems("health_check_url", healthUrl));
    }
    JsonNode description = body.get("description");
    if (description != null && !description.isNull() && !description.isString()) {
      errors.add("description: must be a string");
    }
    JsonNode enabled = body.get("enabled");
    if (enabled != null && !enabled.isBoolean()) {
      errors.add("enabled: must be true or false");
    }
    JsonNode config = body.get("config");
    if (config != null && !config.isNull()) {
      if (!config.isObject()) {
        errors.add("config: must be an object");
      } else {
        checkAuth(config.path("auth"), errors);
        checkNoSecrets("config", config, errors);
        if (config.has("timeout_ms") && (!config.get("timeout_ms").isIntegralNumber() || config.get("timeout_ms").asLong() < 1)) {
          errors.add("config.timeout_ms: must be a positive integer");
        }
        if (config.has("max_concurrent_calls") && (!config.get("max_concurrent_calls").isIntegralNumber()
            || config.get("max_concurrent_calls").asInt() < 1)) {
          errors.add("config.max_concurrent_calls: must be a positive integer");
        }
      }
    }
    if (!errors.isEmpty()) {
      throw problem(HttpStatus.BAD_REQUEST, "The MCP server definition is invalid", errors);
    }
    return new McpServerStore.McpServerInput(name, description == null || description.isNull() ? null : description.asString(),
        endpoint, enabled == null || enabled.asBoolean(), config == null || config.isNull() ? null : config, healthUrl);
  }

  private void checkAuth(JsonNode auth, List<String> errors) {
    if (auth.isMissingNode() || auth.isNull()) {
      return;
    }
    if (!auth.isObject()) {
      errors.add("config.auth: must be an object {type, secret_name, header?}");
      return;
    }
    auth.propertyNames().forEach(key -> {
      if (!AUTH_KEYS.contains(key)) {
        errors.add("config.auth." + key + ": not allowed; secrets are referenced by secret_name, never stored");
      }
    });
    String type = auth.path("type").asString("");
    if (!type.equals("bearer") && !type.equals("header")) {
      errors.add("config.auth.type: must be 'bearer' or 'header'");
    }
    if (!auth.path("secret_name").isString() || !Secrets.NAME.matcher(auth.path("secret_name").asString()).matches()) {
      errors.add("config.auth.secret_name: the name of the secret (letters, digits, '_', '-', '.'), resolved from the "
          + "environment variable ORCA_SECRET_<NAME> or a file in orca.gateway.secrets-dir");
    }
    if (type.equals("header") && (!auth.path("header").isString() || auth.path("header").asString().isBlank())) {
      errors.add("config.auth.header: the header name, for type 'header'");
    }
  }

  /** Refuses keys that look like a literal secret anywhere in config (except the secret's name). */
  private void checkNoSecrets(String path, JsonNode node, List<String> errors) {
    if (node.isObject()) {
      for (String key : node.propertyNames()) {
        String at = path + "." + key;
        if (!at.equals("config.auth.secret_name") && SECRET_KEY.matcher(key).matches()) {
          errors.add(at + ": looks like a secret; store secrets outside Orca and reference them with "
              + "config.auth.secret_name");
        } else {
          checkNoSecrets(at, node.get(key), errors);
        }
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        checkNoSecrets(path + "[" + i + "]", node.get(i), errors);
      }
    }
  }

  private ErrorResponseException problem(HttpStatus status, String detail, List<String> errors) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    if (errors != null) {
      problem.setProperty("errors", errors);
    }
    return new ErrorResponseException(status, problem, null);
  }

  private ErrorResponseException notFound(String name) {
    return problem(HttpStatus.NOT_FOUND, "No MCP server named '" + name + "'", null);
  }
}

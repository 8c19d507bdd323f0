package dev.orca.gateway.builtin;

import dev.orca.gateway.relay.RelayException;
import dev.orca.gateway.relay.Upstream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The upstream {@value #NAME}, always registered: tools that need no outside server.
 * <ul>
 *   <li>{@code echo}: returns its arguments (text and structuredContent);
 *   <li>{@code sleep}: waits {@code ms} (at most {@code orca.gateway.builtin.sleep.max}); cancellable;
 *   <li>{@code json_transform}: a jq filter over {@code input};
 *   <li>{@code http_request}: one HTTP request to an allow-listed host.
 * </ul>
 * Bad arguments are tool errors ({@code isError: true}) so that a model can correct itself.
 */
@Component
public class BuiltinUpstream implements Upstream {
  public static final String NAME = "builtin";

  private record Tool(ObjectNode definition, Function<JsonNode, Mono<JsonNode>> handler) {}

  private final JsonMapper json;
  private final Duration maxSleep;
  private final JqTransformer jq;
  private final HttpRequestTool http;
  private final Map<String, Tool> tools;
  private final Scheduler jqScheduler = Schedulers.boundedElastic();

  public BuiltinUpstream(
      JsonMapper json,
      @Value("${orca.gateway.builtin.sleep.max:5m}") Duration maxSleep,
      @Value("${orca.gateway.builtin.jq.max-outputs:10000}") int maxJqOutputs,
      @Value("${orca.gateway.builtin.http.allowed-hosts:}") List<String> allowedHosts,
      @Value("${orca.gateway.builtin.http.timeout:30s}") Duration httpTimeout,
      @Value("${orca.gateway.builtin.http.max-response-bytes:1048576}") int maxResponseBytes) {
    this.json = json;
    this.maxSleep = maxSleep;
    this.jq = new JqTransformer(json, maxJqOutputs);
    this.http = new HttpRequestTool(json, allowedHosts, httpTimeout, maxResponseBytes);
    this.tools = Map.of(
        "echo", new Tool(echoDefinition(), this::echo),
        "sleep", new Tool(sleepDefinition(), this::sleep),
        "json_transform", new Tool(jqDefinition(), this::transform),
        "http_request", new Tool(httpDefinition(), http::call));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Mono<JsonNode> listTools(String cursor) {
    ObjectNode page = json.createObjectNode();
    ArrayNode list = page.putArray("tools");
    tools.keySet().stream().sorted().forEach(name -> list.add(tools.get(name).definition().deepCopy()));
    return Mono.just(page);
  }

  @Override
  public Mono<JsonNode> callTool(String tool, JsonNode arguments, JsonNode meta) {
    Tool t = tools.get(tool);
    if (t == null) {
      return Mono.error(RelayException.unknownTool(NAME + "." + tool));
    }
    if (!arguments.isObject()) {
      return Mono.just(ToolResults.error(json, "arguments must be a JSON object"));
    }
    return t.handler().apply(arguments);
  }

  // ---------------------------------------------------------------- tools

  private Mono<JsonNode> echo(JsonNode args) {
    return Mono.just(ToolResults.structured(json, args.deepCopy()));
  }

  private Mono<JsonNode> sleep(JsonNode args) {
    JsonNode ms = args.path("ms");
    if (!ms.isIntegralNumber() || ms.asLong() < 0 || ms.asLong() > maxSleep.toMillis()) {
      return Mono.just(ToolResults.error(json, "ms must be an integer from 0 to " + maxSleep.toMillis()));
    }
    long millis = ms.asLong();
    return Mono.delay(Duration.ofMillis(millis))
        .map(tick -> ToolResults.structured(json, json.createObjectNode().put("sleptMs", millis)));
  }

  private Mono<JsonNode> transform(JsonNode args) {
    JsonNode filter = args.path("filter");
    if (!filter.isString() || filter.asString().isBlank()) {
      return Mono.just(ToolResults.error(json, "filter must be a jq expression, e.g. \".items | map(.id)\""));
    }
    JsonNode input = args.has("input") ? args.get("input") : json.nullNode();
    return Mono.fromCallable(() -> {
          List<JsonNode> outputs = jq.apply(filter.asString(), input);
          ObjectNode structured = json.createObjectNode();
          if (outputs.size() == 1) {
            structured.set("result", outputs.get(0));
          } else {
            ArrayNode all = structured.putArray("result");
            outputs.forEach(all::add);
          }
          structured.put("count", outputs.size());
          return (JsonNode) ToolResults.structured(json, structured);
        })
        .subscribeOn(jqScheduler)
        .onErrorResume(JqTransformer.JqFailure.class, e -> Mono.just(ToolResults.error(json, e.getMessage())));
  }

  // ---------------------------------------------------------------- definitions

  private ObjectNode definition(String name, String title, String description, ObjectNode inputSchema) {
    ObjectNode tool = json.createObjectNode();
    tool.put("name", name);
    tool.put("title", title);
    tool.put("description", description);
    tool.set("inputSchema", inputSchema);
    return tool;
  }

  private ObjectNode echoDefinition() {
    ObjectNode schema = json.createObjectNode().put("type", "object").put("additionalProperties", true);
    ObjectNode tool = definition("echo", "Echo",
        "Returns its arguments unchanged, as JSON text and as structuredContent.", schema);
    tool.putObject("annotations").put("readOnlyHint", true).put("idempotentHint", true).put("openWorldHint", false);
    return tool;
  }

  private ObjectNode sleepDefinition() {
    ObjectNode schema = json.createObjectNode().put("type", "object");
    schema.putObject("properties").putObject("ms").put("type", "integer").put("minimum", 0)
        .put("maximum", maxSleep.toMillis()).put("description", "how long to wait, in milliseconds");
    schema.putArray("required").add("ms");
    ObjectNode tool = definition("sleep", "Sleep",
        "Waits ms milliseconds, then returns {\"sleptMs\": ms}. Cancelling the call stops the wait.", schema);
    tool.putObject("annotations").put("readOnlyHint", true).put("idempotentHint", true).put("openWorldHint", false);
    return tool;
  }

  private ObjectNode jqDefinition() {
    ObjectNode schema = json.createObjectNode().put("type", "object");
    ObjectNode p = schema.putObject("properties");
    p.putObject("filter").put("type", "string").put("description", "a jq (1.6) filter, e.g. \".items | map(.id)\"");
    p.putObject("input").put("description", "the JSON value the filter runs on");
    schema.putArray("required").add("filter");
    ObjectNode tool = definition("json_transform", "JSON transform (jq)",
        "Runs a jq filter over input. structuredContent.result is the filter's only output, or the array "
            + "of its outputs when it emits none or several; structuredContent.count is how many.", schema);
    tool.putObject("annotations").put("readOnlyHint", true).put("idempotentHint", true).put("openWorldHint", false);
    return tool;
  }

  private ObjectNode httpDefinition() {
    ObjectNode tool = definition("http_request", "HTTP request",
        "Sends one HTTP request to an allow-listed host and returns {status, headers, body, json?}. "
            + "Redirects are not followed; the response body is size-limited. HTTP 4xx/5xx are tool errors.",
        HttpRequestTool.inputSchema(json));
    tool.putObject("annotations").put("readOnlyHint", false).put("openWorldHint", true);
    return tool;
  }
}

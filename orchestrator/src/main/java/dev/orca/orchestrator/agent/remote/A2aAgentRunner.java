package dev.orca.orchestrator.agent.remote;

import dev.orca.orchestrator.agent.registry.AgentRules;
import dev.orca.orchestrator.agent.runtime.AgentHttp;
import dev.orca.orchestrator.agent.runtime.AgentRun;
import dev.orca.orchestrator.agent.runtime.AgentRunner;
import dev.orca.orchestrator.agent.runtime.Secrets;
import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * {@code external} agents over A2A (v0.3 JSON-RPC binding): {@code message/send} to the endpoint with the step's
 * input as one part ({@code text} for a string, else {@code data}) and {@code configuration.blocking: true}. The
 * answer is a {@code Message} (its parts are the output) or a {@code Task}: {@code completed} → its artifacts'
 * parts (else its status message); {@code failed}, {@code rejected}, {@code canceled}, {@code input-required},
 * {@code auth-required} → {@code AGENT_ERROR}; {@code submitted}/{@code working} → {@code tasks/get} every
 * {@value #POLL_MS} ms until it ends (the step timeout bounds the wait). Output: one data part → its data;
 * text parts → their text joined; several data parts → an array.
 */
@Component
class A2aAgentRunner implements AgentRunner {
  static final long POLL_MS = 1000;
  private static final Set<String> WAITING = Set.of("submitted", "working", "unknown");
  private static final Set<String> FAILED = Set.of("failed", "rejected", "canceled", "cancelled", "input-required",
      "auth-required");

  private final AgentHttp http;
  private final Secrets secrets;
  private final JsonMapper json;

  A2aAgentRunner(AgentHttp http, Secrets secrets, JsonMapper json) {
    this.http = http;
    this.secrets = secrets;
    this.json = json;
  }

  @Override
  public String type() {
    return AgentRules.EXTERNAL;
  }

  @Override
  public Mono<JsonNode> run(AgentRun run) {
    JsonNode endpoint = run.agent().endpoint();
    String url = endpoint.path("url").asString();
    String who = "A2A agent '" + run.agent().slug() + "' at " + url;
    return EndpointAuth.headers(endpoint, secrets).flatMap(headers ->
        rpc(url, headers, "message/send", sendParams(run.invocation().input()), who)
            .flatMap(result -> answer(url, headers, result, who)));
  }

  private ObjectNode sendParams(JsonNode input) {
    ObjectNode params = json.createObjectNode();
    ObjectNode message = params.putObject("message");
    message.put("kind", "message");
    message.put("messageId", UUID.randomUUID().toString());
    message.put("role", "user");
    ObjectNode part = message.putArray("parts").addObject();
    if (input.isString()) {
      part.put("kind", "text").put("text", input.asString());
    } else {
      part.put("kind", "data").set("data", input);
    }
    ObjectNode configuration = params.putObject("configuration");
    configuration.put("blocking", true);
    configuration.putArray("acceptedOutputModes").add("application/json").add("text/plain");
    return params;
  }

  private Mono<JsonNode> answer(String url, HttpHeaders headers, JsonNode result, String who) {
    String kind = result.path("kind").asString(result.has("status") ? "task" : "message");
    if ("message".equals(kind)) {
      return Mono.just(output(List.of(result), who));
    }
    String state = result.path("status").path("state").asString("unknown");
    if ("completed".equals(state)) {
      List<JsonNode> holders = new ArrayList<>();
      result.path("artifacts").forEach(holders::add);
      if (holders.isEmpty() && result.path("status").has("message")) {
        holders.add(result.path("status").path("message"));
      }
      return Mono.just(output(holders, who));
    }
    if (FAILED.contains(state)) {
      String why = text(result.path("status").path("message"));
      return Mono.error(new StepFailure(Kind.AGENT_ERROR, who + ": task " + result.path("id").asString("") + " ended "
          + state + (why.isEmpty() ? "" : ": " + why)));
    }
    if (WAITING.contains(state) && result.hasNonNull("id")) {
      ObjectNode params = json.createObjectNode().put("id", result.get("id").asString());
      return Mono.delay(Duration.ofMillis(POLL_MS))
          .then(rpc(url, headers, "tasks/get", params, who))
          .flatMap(next -> answer(url, headers, next, who));
    }
    return Mono.error(new StepFailure(Kind.PROTOCOL, who + " answered a task in state '" + state + "' without an id"));
  }

  private Mono<JsonNode> rpc(String url, HttpHeaders headers, String method, ObjectNode params, String who) {
    ObjectNode body = json.createObjectNode();
    body.put("jsonrpc", "2.0");
    body.put("id", UUID.randomUUID().toString());
    body.put("method", method);
    body.set("params", params);
    return http.postJson(url, h -> h.addAll(headers), body, who)
        .flatMap(response -> {
          JsonNode error = response.get("error");
          if (error != null && !error.isNull()) {
            return Mono.error(new StepFailure(Kind.PROTOCOL, who + " answered " + method + " with error "
                + error.path("code").asInt(0) + ": " + error.path("message").asString("")));
          }
          JsonNode result = response.get("result");
          return result != null && result.isObject() ? Mono.just(result)
              : Mono.error(new StepFailure(Kind.PROTOCOL, who + " answered " + method + " without a result object"));
        });
  }

  /** The output of the parts of {@code holders} (messages or artifacts). */
  private JsonNode output(List<JsonNode> holders, String who) {
    List<JsonNode> data = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (JsonNode holder : holders) {
      for (JsonNode part : holder.path("parts")) {
        String kind = part.path("kind").asString(part.has("data") ? "data" : "text");
        if ("data".equals(kind)) {
          data.add(part.path("data"));
        } else if ("text".equals(kind)) {
          text.append(text.isEmpty() ? "" : "\n").append(part.path("text").asString(""));
        }
      }
    }
    if (data.size() == 1 && text.isEmpty()) {
      return data.get(0);
    }
    if (!data.isEmpty()) {
      ArrayNode all = json.createArrayNode();
      data.forEach(all::add);
      return all;
    }
    if (text.isEmpty()) {
      throw new StepFailure(Kind.AGENT_ERROR, who + " answered without a text or data part");
    }
    return StringNode.valueOf(text.toString());
  }

  private static String text(JsonNode message) {
    StringBuilder b = new StringBuilder();
    message.path("parts").forEach(p -> b.append(p.path("text").asString("")));
    return b.toString();
  }
}

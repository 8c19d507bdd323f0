package dev.orca.orchestrator.agent.remote;

import dev.orca.orchestrator.agent.registry.AgentRules;
import dev.orca.orchestrator.agent.runtime.AgentHttp;
import dev.orca.orchestrator.agent.runtime.AgentRun;
import dev.orca.orchestrator.agent.runtime.AgentRunner;
import dev.orca.orchestrator.agent.runtime.Secrets;
import dev.orca.orchestrator.definition.Interpolator;
import dev.orca.orchestrator.definition.MissingPathException;
import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * {@code api} agents: one HTTP call built from the agent's {@code endpoint} — {@code method} (POST unless
 * given), {@code url}, {@code headers}, {@code authentication} by secret name, a body from
 * {@code requestTransform} (a JSON template over {@code ${input...}}; the input itself when absent; none for
 * GET and DELETE) — and the answer (JSON, else text) through {@code responseTransform} (a template over
 * {@code ${response...}}, e.g. {@code "${response.data.summary}"}; the whole answer when absent).
 */
@Component
class ApiAgentRunner implements AgentRunner {
  private final AgentHttp http;
  private final Secrets secrets;
  private final JsonMapper json;

  ApiAgentRunner(AgentHttp http, Secrets secrets, JsonMapper json) {
    this.http = http;
    this.secrets = secrets;
    this.json = json;
  }

  @Override
  public String type() {
    return AgentRules.API;
  }

  @Override
  public Mono<JsonNode> run(AgentRun run) {
    JsonNode endpoint = run.agent().endpoint();
    String url = endpoint.path("url").asString();
    HttpMethod method = HttpMethod.valueOf(endpoint.path("method").asString("POST"));
    String who = "api agent '" + run.agent().slug() + "' at " + url;
    return Mono.fromCallable(() -> body(endpoint, run.invocation().input()))
        .onErrorMap(MissingPathException.class, e -> new StepFailure(Kind.VALIDATION, who + ": requestTransform: " + e.getMessage()))
        .zipWith(EndpointAuth.headers(endpoint, secrets))
        .flatMap(t -> {
          WebClient.RequestBodySpec request = http.web().method(method).uri(url)
              .headers(h -> h.addAll(t.getT2()))
              .accept(MediaType.APPLICATION_JSON, MediaType.ALL);
          WebClient.RequestHeadersSpec<?> ready = method == HttpMethod.GET || method == HttpMethod.DELETE
              ? request
              : request.contentType(MediaType.APPLICATION_JSON).bodyValue(json.writeValueAsString(t.getT1()));
          return ready.exchangeToMono(r -> r.statusCode().is2xxSuccessful()
              ? r.bodyToMono(String.class).defaultIfEmpty("").map(this::parse)
              : AgentHttp.failure(r, who));
        })
        .onErrorMap(e -> AgentHttp.onTheWay(e, who))
        .map(answer -> extract(endpoint, answer, who));
  }

  private JsonNode body(JsonNode endpoint, JsonNode input) {
    JsonNode template = endpoint.get("requestTransform");
    if (template == null || template.isNull()) {
      return input;
    }
    ObjectNode scope = json.createObjectNode();
    scope.set("input", input);
    return Interpolator.resolve(template, scope);
  }

  private JsonNode parse(String body) {
    try {
      return json.readTree(body);
    } catch (JacksonException notJson) {
      return StringNode.valueOf(body);
    }
  }

  private JsonNode extract(JsonNode endpoint, JsonNode answer, String who) {
    JsonNode template = endpoint.get("responseTransform");
    if (template == null || template.isNull()) {
      return answer;
    }
    ObjectNode scope = json.createObjectNode();
    scope.set("response", answer);
    try {
      return Interpolator.resolve(template, scope);
    } catch (MissingPathException e) {
      throw new StepFailure(Kind.AGENT_ERROR, who + " answered without what responseTransform extracts: " + e.getMessage());
    }
  }
}

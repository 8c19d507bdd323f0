package dev.orca.orchestrator.agent.llm;

import dev.orca.orchestrator.agent.llm.Conversation.AssistantTurn;
import dev.orca.orchestrator.agent.llm.Conversation.Message;
import dev.orca.orchestrator.agent.llm.Conversation.Request;
import dev.orca.orchestrator.agent.llm.Conversation.ToolResults;
import dev.orca.orchestrator.agent.llm.Conversation.UserText;
import dev.orca.orchestrator.agent.registry.AgentRules;
import dev.orca.orchestrator.agent.runtime.AgentRun;
import dev.orca.orchestrator.agent.runtime.AgentRunner;
import dev.orca.orchestrator.agent.runtime.AgentSettings;
import dev.orca.orchestrator.agent.runtime.IoSchemas;
import dev.orca.orchestrator.agent.runtime.Secrets;
import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.StringNode;

/**
 * Context agents: the agent's {@code context} as system prompt (plus the output schema when it asks for
 * JSON), the step's input as the user message, and the loop model → tool calls → results → model until the
 * model answers without asking for tools. More than {@code llmConfig.maxTurns} model calls (default
 * {@code orca.agents.default-max-turns}) fail the run ({@code AGENT_ERROR}, not retried); the step timeout
 * bounds the whole loop. Tool calls of one turn run one after another, in the model's order.
 */
@Component
class ContextAgentRunner implements AgentRunner {
  private final Map<String, LlmProvider> providers;
  private final GatewayTools tools;
  private final Secrets secrets;
  private final AgentSettings settings;
  private final JsonMapper json;

  ContextAgentRunner(List<LlmProvider> providers, GatewayTools tools, Secrets secrets, AgentSettings settings,
      JsonMapper json) {
    this.providers = providers.stream().collect(Collectors.toMap(LlmProvider::name, Function.identity()));
    this.tools = tools;
    this.secrets = secrets;
    this.settings = settings;
    this.json = json;
  }

  @Override
  public String type() {
    return AgentRules.CONTEXT;
  }

  @Override
  public Mono<JsonNode> run(AgentRun run) {
    JsonNode llm = run.agent().llmConfig();
    LlmProvider provider = providers.get(llm.path("provider").asString(""));
    if (provider == null) {
      return Mono.error(new StepFailure(Kind.UNSUPPORTED, "agent '" + run.agent().slug() + "': no LLM provider '"
          + llm.path("provider").asString("") + "'; supported: " + String.join(", ", providers.keySet())));
    }
    String secret = llm.path("apiKeySecret").asString(null);
    Mono<Optional<String>> key = secret == null ? Mono.just(Optional.empty()) : secrets.get(secret).map(Optional::of);
    int maxTurns = llm.path("maxTurns").asInt(settings.defaultMaxTurns());
    return Mono.zip(key, tools.forRun(run)).flatMap(t -> {
      Loop loop = new Loop(run, provider, llm.path("baseUrl").asString(null), t.getT1().orElse(null), t.getT2(), maxTurns);
      List<Message> messages = new ArrayList<>();
      messages.add(new UserText(userText(run.invocation().input())));
      return loop.turn(1, messages);
    });
  }

  /** One conversation; {@code turn} counts model calls from 1. */
  private final class Loop {
    private final AgentRun run;
    private final LlmProvider provider;
    private final String baseUrl;
    private final String apiKey;
    private final ToolBox box;
    private final int maxTurns;
    private final String system;

    Loop(AgentRun run, LlmProvider provider, String baseUrl, String apiKey, ToolBox box, int maxTurns) {
      this.run = run;
      this.provider = provider;
      this.baseUrl = baseUrl;
      this.apiKey = apiKey;
      this.box = box;
      this.maxTurns = maxTurns;
      this.system = systemPrompt(run);
    }

    Mono<JsonNode> turn(int turn, List<Message> messages) {
      JsonNode llm = run.agent().llmConfig();
      Request request = new Request(llm.path("model").asString(), system, List.copyOf(messages), box.specs(),
          llm.path("parameters"), settings.defaultMaxTokens(), llm.path("stream").asBoolean(false));
      return provider.complete(baseUrl, apiKey, request).flatMap(reply -> {
        if (reply.promptTokens() != null || reply.completionTokens() != null) {
          run.ledger().addUsage(nz(reply.promptTokens()), nz(reply.completionTokens()));
        }
        if (reply.toolUses().isEmpty()) {
          return Mono.just((JsonNode) StringNode.valueOf(reply.text()));
        }
        if (turn >= maxTurns) {
          return Mono.error(new StepFailure(Kind.AGENT_ERROR, "agent '" + run.agent().slug() + "' reached its limit of "
              + maxTurns + " turns (model calls) still asking for tools; raise llmConfig.maxTurns or simplify the task"));
        }
        return Flux.fromIterable(reply.toolUses()).concatMap(box::call).collectList().flatMap(outputs -> {
          messages.add(new AssistantTurn(reply.text(), reply.toolUses()));
          messages.add(new ToolResults(outputs));
          return turn(turn + 1, messages);
        });
      });
    }
  }

  private String systemPrompt(AgentRun run) {
    JsonNode output = run.agent().ioSchema().get("output");
    if (!IoSchemas.wantsJson(output)) {
      return run.agent().context();
    }
    return run.agent().context() + "\n\nWhen you give your final answer, reply with only a JSON value (no prose, no "
        + "code fence) that conforms to this JSON Schema:\n" + json.writeValueAsString(output);
  }

  private String userText(JsonNode input) {
    return input.isString() ? input.asString() : json.writeValueAsString(input);
  }

  private static long nz(Long n) {
    return n == null ? 0 : n;
  }
}

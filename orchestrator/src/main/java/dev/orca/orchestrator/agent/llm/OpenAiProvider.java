package dev.orca.orchestrator.agent.llm;

import dev.orca.orchestrator.agent.llm.Conversation.AssistantTurn;
import dev.orca.orchestrator.agent.llm.Conversation.Message;
import dev.orca.orchestrator.agent.llm.Conversation.Reply;
import dev.orca.orchestrator.agent.llm.Conversation.Request;
import dev.orca.orchestrator.agent.llm.Conversation.ToolOutput;
import dev.orca.orchestrator.agent.llm.Conversation.ToolResults;
import dev.orca.orchestrator.agent.llm.Conversation.ToolSpec;
import dev.orca.orchestrator.agent.llm.Conversation.ToolUse;
import dev.orca.orchestrator.agent.llm.Conversation.UserText;
import dev.orca.orchestrator.agent.runtime.AgentHttp;
import dev.orca.orchestrator.agent.runtime.AgentSettings;
import dev.orca.orchestrator.engine.StepFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * The OpenAI Chat Completions API, and every server that speaks it (Ollama, vLLM, LM Studio… via
 * {@code baseUrl}): {@code POST {baseUrl}/chat/completions} with a bearer key when there is one; tools as
 * {@code {type: function, function: {name, description, parameters}}}, the model's {@code tool_calls} answered
 * by {@code role: tool} messages; usage from {@code usage.prompt_tokens} and {@code completion_tokens}.
 */
@Component
class OpenAiProvider implements LlmProvider {

  private final AgentHttp http;
  private final String defaultBaseUrl;
  private final JsonMapper json;

  OpenAiProvider(AgentHttp http, AgentSettings settings, JsonMapper json) {
    this.http = http;
    this.defaultBaseUrl = AnthropicProvider.strip(settings.openaiBaseUrl());
    this.json = json;
  }

  @Override
  public String name() {
    return "openai";
  }

  @Override
  public Mono<Reply> complete(String baseUrl, String apiKey, Request request) {
    String url = (baseUrl == null ? defaultBaseUrl : AnthropicProvider.strip(baseUrl)) + "/chat/completions";
    String who = "Chat Completions API at " + url;
    Consumer<HttpHeaders> headers = h -> {
      if (apiKey != null) {
        h.setBearerAuth(apiKey);
      }
    };
    ObjectNode body = body(request);
    if (!request.stream()) {
      return http.postJson(url, headers, body, who).map(this::reply);
    }
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    return http.postForEvents(url, headers, body, who)
        .reduce(new Streamed(who), Streamed::add)
        .map(Streamed::reply);
  }

  ObjectNode body(Request request) {
    ObjectNode body = json.createObjectNode();
    request.writeSampling(body);
    ArrayNode messages = body.putArray("messages");
    if (request.system() != null && !request.system().isBlank()) {
      messages.addObject().put("role", "system").put("content", request.system());
    }
    for (Message m : request.messages()) {
      if (m instanceof UserText u) {
        messages.addObject().put("role", "user").put("content", u.text());
      } else if (m instanceof AssistantTurn a) {
        ObjectNode message = messages.addObject().put("role", "assistant");
        if (a.text() == null || a.text().isEmpty()) {
          message.putNull("content");
        } else {
          message.put("content", a.text());
        }
        if (!a.toolUses().isEmpty()) {
          ArrayNode calls = message.putArray("tool_calls");
          for (ToolUse use : a.toolUses()) {
            calls.addObject().put("id", use.id()).put("type", "function").putObject("function")
                .put("name", use.name()).put("arguments", json.writeValueAsString(use.arguments()));
          }
        }
      } else if (m instanceof ToolResults r) {
        for (ToolOutput out : r.outputs()) {
          messages.addObject().put("role", "tool").put("tool_call_id", out.id())
              .put("content", out.isError() ? "ERROR: " + out.content() : out.content());
        }
      }
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolSpec t : request.tools()) {
        ObjectNode function = tools.addObject().put("type", "function").putObject("function").put("name", t.name());
        if (t.description() != null) {
          function.put("description", t.description());
        }
        function.set("parameters", t.inputSchema());
      }
    }
    return body;
  }

  Reply reply(JsonNode body) {
    JsonNode choice = body.path("choices").path(0);
    JsonNode message = choice.path("message");
    List<ToolUse> uses = new ArrayList<>();
    for (JsonNode call : message.path("tool_calls")) {
      JsonNode function = call.path("function");
      uses.add(new ToolUse(call.path("id").asString(""), function.path("name").asString(""),
          arguments(function.path("arguments"))));
    }
    JsonNode usage = body.path("usage");
    Long prompt = usage.has("prompt_tokens") ? usage.path("prompt_tokens").asLong() : null;
    Long completion = usage.has("completion_tokens") ? usage.path("completion_tokens").asLong() : null;
    String text = message.path("content").isString() ? message.path("content").asString() : "";
    return new Reply(text, List.copyOf(uses), prompt, completion, choice.path("finish_reason").asString(null));
  }

  /**
   * A streamed reply put together: {@code choices[0].delta} content and {@code tool_calls} fragments by
   * {@code index} (id and name once, arguments in pieces), {@code finish_reason}, and the usage chunk that
   * {@code stream_options.include_usage} adds at the end.
   */
  private final class Streamed {
    private final String who;
    private final StringBuilder text = new StringBuilder();
    private final Map<Integer, String[]> calls = new TreeMap<>();
    private final Map<Integer, StringBuilder> arguments = new TreeMap<>();
    private Long prompt;
    private Long completion;
    private String finish;

    Streamed(String who) {
      this.who = who;
    }

    Streamed add(JsonNode chunk) {
      if (chunk.has("error")) {
        throw new StepFailure(StepFailure.Kind.TRANSPORT, who + " ended the stream with an error: "
            + chunk.path("error").path("message").asString(""));
      }
      JsonNode usage = chunk.get("usage");
      if (usage != null && usage.isObject()) {
        prompt = usage.path("prompt_tokens").asLong();
        completion = usage.path("completion_tokens").asLong();
      }
      for (JsonNode choice : chunk.path("choices")) {
        JsonNode delta = choice.path("delta");
        if (delta.path("content").isString()) {
          text.append(delta.path("content").asString());
        }
        for (JsonNode call : delta.path("tool_calls")) {
          int index = call.path("index").asInt(0);
          String[] idAndName = calls.computeIfAbsent(index, i -> new String[2]);
          if (call.path("id").isString()) {
            idAndName[0] = call.path("id").asString();
          }
          if (call.path("function").path("name").isString()) {
            idAndName[1] = call.path("function").path("name").asString();
          }
          arguments.computeIfAbsent(index, i -> new StringBuilder())
              .append(call.path("function").path("arguments").asString(""));
        }
        if (choice.path("finish_reason").isString()) {
          finish = choice.path("finish_reason").asString();
        }
      }
      return this;
    }

    Reply reply() {
      List<ToolUse> uses = new ArrayList<>();
      calls.forEach((index, idAndName) -> uses.add(new ToolUse(idAndName[0] == null ? "call_" + index : idAndName[0],
          idAndName[1] == null ? "" : idAndName[1], arguments(StringNode.valueOf(arguments.get(index).toString())))));
      return new Reply(text.toString(), List.copyOf(uses), prompt, completion, finish);
    }
  }

  /** Arguments come as a JSON string; one that does not parse is passed on as {@code {"_raw": ...}} for the tool to refuse. */
  private JsonNode arguments(JsonNode raw) {
    if (raw.isObject()) {
      return raw;
    }
    String text = raw.asString("");
    if (text.isBlank()) {
      return json.createObjectNode();
    }
    try {
      JsonNode parsed = json.readTree(text);
      return parsed.isObject() ? parsed : json.createObjectNode().set("_raw", StringNode.valueOf(text));
    } catch (JacksonException e) {
      return json.createObjectNode().set("_raw", StringNode.valueOf(text));
    }
  }
}

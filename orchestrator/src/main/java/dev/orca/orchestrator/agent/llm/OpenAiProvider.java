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
import java.util.ArrayList;
import java.util.List;
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
    return http.postJson(url, h -> {
          if (apiKey != null) {
            h.setBearerAuth(apiKey);
          }
        }, body(request), "Chat Completions API at " + url)
        .map(this::reply);
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

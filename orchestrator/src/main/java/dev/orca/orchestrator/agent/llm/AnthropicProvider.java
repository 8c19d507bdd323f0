package dev.orca.orchestrator.agent.llm;

import dev.orca.orchestrator.agent.runtime.AgentHttp;
import dev.orca.orchestrator.agent.runtime.AgentSettings;
import dev.orca.orchestrator.agent.llm.Conversation.AssistantTurn;
import dev.orca.orchestrator.agent.llm.Conversation.Message;
import dev.orca.orchestrator.agent.llm.Conversation.Reply;
import dev.orca.orchestrator.agent.llm.Conversation.Request;
import dev.orca.orchestrator.agent.llm.Conversation.ToolOutput;
import dev.orca.orchestrator.agent.llm.Conversation.ToolResults;
import dev.orca.orchestrator.agent.llm.Conversation.ToolSpec;
import dev.orca.orchestrator.agent.llm.Conversation.ToolUse;
import dev.orca.orchestrator.agent.llm.Conversation.UserText;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Anthropic Messages API: {@code POST {baseUrl}/v1/messages} with {@code x-api-key} and
 * {@code anthropic-version}; tools as {@code {name, description, input_schema}}, the model's {@code tool_use}
 * blocks answered by {@code tool_result} blocks in the next user message; usage from {@code usage.input_tokens}
 * (plus cache reads and writes) and {@code usage.output_tokens}.
 */
@Component
class AnthropicProvider implements LlmProvider {
  static final String VERSION = "2023-06-01";

  private final AgentHttp http;
  private final String defaultBaseUrl;
  private final JsonMapper json;

  AnthropicProvider(AgentHttp http, AgentSettings settings, JsonMapper json) {
    this.http = http;
    this.defaultBaseUrl = AnthropicProvider.strip(settings.anthropicBaseUrl());
    this.json = json;
  }

  @Override
  public String name() {
    return "anthropic";
  }

  @Override
  public Mono<Reply> complete(String baseUrl, String apiKey, Request request) {
    String url = (baseUrl == null ? defaultBaseUrl : strip(baseUrl)) + "/v1/messages";
    return http.postJson(url, h -> {
          if (apiKey != null) {
            h.set("x-api-key", apiKey);
          }
          h.set("anthropic-version", VERSION);
        }, body(request), "Anthropic Messages API at " + url)
        .map(this::reply);
  }

  ObjectNode body(Request request) {
    ObjectNode body = json.createObjectNode();
    request.writeSampling(body);
    if (request.system() != null && !request.system().isBlank()) {
      body.put("system", request.system());
    }
    ArrayNode messages = body.putArray("messages");
    for (Message m : request.messages()) {
      messages.add(message(m));
    }
    if (!request.tools().isEmpty()) {
      ArrayNode tools = body.putArray("tools");
      for (ToolSpec t : request.tools()) {
        ObjectNode tool = tools.addObject().put("name", t.name());
        if (t.description() != null) {
          tool.put("description", t.description());
        }
        tool.set("input_schema", t.inputSchema());
      }
    }
    return body;
  }

  private ObjectNode message(Message m) {
    ObjectNode message = json.createObjectNode();
    if (m instanceof UserText u) {
      message.put("role", "user");
      message.putArray("content").addObject().put("type", "text").put("text", u.text());
    } else if (m instanceof AssistantTurn a) {
      message.put("role", "assistant");
      ArrayNode content = message.putArray("content");
      if (a.text() != null && !a.text().isEmpty()) {
        content.addObject().put("type", "text").put("text", a.text());
      }
      for (ToolUse use : a.toolUses()) {
        content.addObject().put("type", "tool_use").put("id", use.id()).put("name", use.name()).set("input", use.arguments());
      }
    } else if (m instanceof ToolResults r) {
      message.put("role", "user");
      ArrayNode content = message.putArray("content");
      for (ToolOutput out : r.outputs()) {
        ObjectNode block = content.addObject().put("type", "tool_result").put("tool_use_id", out.id());
        block.putArray("content").addObject().put("type", "text").put("text", out.content());
        if (out.isError()) {
          block.put("is_error", true);
        }
      }
    }
    return message;
  }

  Reply reply(JsonNode body) {
    StringBuilder text = new StringBuilder();
    List<ToolUse> uses = new ArrayList<>();
    for (JsonNode block : body.path("content")) {
      switch (block.path("type").asString("")) {
        case "text" -> text.append(block.path("text").asString(""));
        case "tool_use" -> uses.add(new ToolUse(block.path("id").asString(""), block.path("name").asString(""),
            block.path("input").isObject() ? block.get("input") : json.createObjectNode()));
        default -> { } // thinking and other blocks are not part of the answer
      }
    }
    JsonNode usage = body.path("usage");
    Long prompt = usage.has("input_tokens")
        ? usage.path("input_tokens").asLong() + usage.path("cache_creation_input_tokens").asLong(0)
            + usage.path("cache_read_input_tokens").asLong(0)
        : null;
    Long completion = usage.has("output_tokens") ? usage.path("output_tokens").asLong() : null;
    return new Reply(text.toString(), List.copyOf(uses), prompt, completion, body.path("stop_reason").asString(null));
  }

  static String strip(String baseUrl) {
    return baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }
}

package dev.orca.orchestrator.agent.llm;

import dev.orca.orchestrator.agent.runtime.AgentHttp;
import dev.orca.orchestrator.agent.runtime.AgentSettings;
import dev.orca.orchestrator.engine.StepFailure;
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
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.springframework.http.HttpHeaders;
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
    String who = "Anthropic Messages API at " + url;
    Consumer<HttpHeaders> headers = h -> {
      if (apiKey != null) {
        h.set("x-api-key", apiKey);
      }
      h.set("anthropic-version", VERSION);
    };
    ObjectNode body = body(request);
    if (!request.stream()) {
      return http.postJson(url, headers, body, who).map(this::reply);
    }
    body.put("stream", true);
    return http.postForEvents(url, headers, body, who)
        .reduce(new Streamed(who), Streamed::add)
        .map(Streamed::reply);
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

  /**
   * A streamed reply put together from the events: {@code message_start} (input usage),
   * {@code content_block_start}/{@code _delta} ({@code text_delta}, {@code input_json_delta} pieces by block
   * index), {@code message_delta} (stop reason, cumulative output usage); an {@code error} event ends the run
   * ({@code overloaded_error} and {@code api_error} retryable).
   */
  private final class Streamed {
    private final String who;
    private final Map<Integer, ObjectNode> blocks = new TreeMap<>();
    private final Map<Integer, StringBuilder> pieces = new TreeMap<>();
    private Long input;
    private Long output;
    private String stop;

    Streamed(String who) {
      this.who = who;
    }

    Streamed add(JsonNode event) {
      switch (event.path("type").asString("")) {
        case "message_start" -> usage(event.path("message").path("usage"));
        case "content_block_start" -> {
          int index = event.path("index").asInt(0);
          blocks.put(index, (ObjectNode) event.path("content_block").deepCopy());
          pieces.put(index, new StringBuilder(event.path("content_block").path("text").asString("")));
        }
        case "content_block_delta" -> {
          JsonNode delta = event.path("delta");
          StringBuilder piece = pieces.computeIfAbsent(event.path("index").asInt(0), i -> new StringBuilder());
          piece.append("input_json_delta".equals(delta.path("type").asString(""))
              ? delta.path("partial_json").asString("") : delta.path("text").asString(""));
        }
        case "message_delta" -> {
          if (event.path("delta").path("stop_reason").isString()) {
            stop = event.path("delta").path("stop_reason").asString();
          }
          usage(event.path("usage"));
        }
        case "error" -> {
          String type = event.path("error").path("type").asString("");
          boolean transient_ = type.equals("overloaded_error") || type.equals("api_error") || type.equals("rate_limit_error");
          throw new StepFailure(transient_ ? StepFailure.Kind.TRANSPORT : StepFailure.Kind.PROTOCOL,
              who + " ended the stream with " + type + ": " + event.path("error").path("message").asString(""));
        }
        default -> { } // ping, content_block_stop, message_stop
      }
      return this;
    }

    private void usage(JsonNode usage) {
      if (usage.has("input_tokens")) {
        input = usage.path("input_tokens").asLong() + usage.path("cache_creation_input_tokens").asLong(0)
            + usage.path("cache_read_input_tokens").asLong(0);
      }
      if (usage.has("output_tokens")) {
        output = usage.path("output_tokens").asLong(); // cumulative in message_delta
      }
    }

    Reply reply() {
      ObjectNode message = json.createObjectNode();
      var content = message.putArray("content");
      blocks.forEach((index, block) -> {
        String piece = pieces.getOrDefault(index, new StringBuilder()).toString();
        if ("tool_use".equals(block.path("type").asString(""))) {
          block.set("input", piece.isBlank() ? json.createObjectNode() : json.readTree(piece));
        } else {
          block.put("text", piece);
        }
        content.add(block);
      });
      if (input != null) {
        message.putObject("usage").put("input_tokens", input).put("output_tokens", output == null ? 0 : output);
      }
      if (stop != null) {
        message.put("stop_reason", stop);
      }
      return AnthropicProvider.this.reply(message);
    }
  }

  static String strip(String baseUrl) {
    return baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
  }
}

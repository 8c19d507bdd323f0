package dev.orca.orchestrator.agent;

import static dev.orca.orchestrator.agent.LocalHttpServer.JSON;

import dev.orca.orchestrator.agent.LocalHttpServer.Answer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Responses in the providers' real wire formats (Anthropic Messages, OpenAI Chat Completions), for the test server. */
final class ProviderWire {
  private ProviderWire() {}

  /** What the scripted model does in a turn: call a tool, or answer. */
  record Move(String tool, JsonNode arguments, String text) {
    static Move call(String tool, JsonNode arguments) {
      return new Move(tool, arguments, null);
    }

    static Move answer(String text) {
      return new Move(null, null, text);
    }
  }

  static Answer anthropic(Move move, String id, int inputTokens, int outputTokens) {
    ObjectNode body = JSON.createObjectNode();
    body.put("id", "msg_" + id).put("type", "message").put("role", "assistant").put("model", "claude-test");
    var content = body.putArray("content");
    if (move.tool() != null) {
      content.addObject().put("type", "text").put("text", "Let me use " + move.tool() + ".");
      content.addObject().put("type", "tool_use").put("id", "toolu_" + id).put("name", move.tool()).set("input", move.arguments());
      body.put("stop_reason", "tool_use");
    } else {
      content.addObject().put("type", "text").put("text", move.text());
      body.put("stop_reason", "end_turn");
    }
    body.putNull("stop_sequence");
    body.putObject("usage").put("input_tokens", inputTokens).put("output_tokens", outputTokens);
    return Answer.json(body);
  }

  static Answer openai(Move move, String id, int promptTokens, int completionTokens) {
    ObjectNode body = JSON.createObjectNode();
    body.put("id", "chatcmpl-" + id).put("object", "chat.completion").put("created", 1_700_000_000).put("model", "gpt-test");
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    if (move.tool() != null) {
      message.putNull("content");
      message.putArray("tool_calls").addObject().put("id", "call_" + id).put("type", "function")
          .putObject("function").put("name", move.tool()).put("arguments", JSON.writeValueAsString(move.arguments()));
      choice.put("finish_reason", "tool_calls");
    } else {
      message.put("content", move.text());
      choice.put("finish_reason", "stop");
    }
    body.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
        .put("total_tokens", promptTokens + completionTokens);
    return Answer.json(body);
  }

  /** The same turn as Anthropic streams it: message_start, content blocks in deltas, message_delta, message_stop. */
  static List<String> anthropicEvents(Move move, String id, int inputTokens, int outputTokens) {
    List<String> events = new ArrayList<>();
    ObjectNode start = JSON.createObjectNode().put("type", "message_start");
    start.putObject("message").put("id", "msg_" + id).put("type", "message").put("role", "assistant")
        .put("model", "claude-test").putArray("content");
    ((ObjectNode) start.get("message")).putObject("usage").put("input_tokens", inputTokens).put("output_tokens", 1);
    events.add(sse("message_start", start));
    events.add(sse("ping", JSON.createObjectNode().put("type", "ping")));
    if (move.tool() != null) {
      ObjectNode block = JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
      block.putObject("content_block").put("type", "tool_use").put("id", "toolu_" + id).put("name", move.tool())
          .putObject("input");
      events.add(sse("content_block_start", block));
      String args = JSON.writeValueAsString(move.arguments());
      int half = args.length() / 2;
      for (String piece : List.of(args.substring(0, half), args.substring(half))) {
        ObjectNode delta = JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
        delta.putObject("delta").put("type", "input_json_delta").put("partial_json", piece);
        events.add(sse("content_block_delta", delta));
      }
    } else {
      ObjectNode block = JSON.createObjectNode().put("type", "content_block_start").put("index", 0);
      block.putObject("content_block").put("type", "text").put("text", "");
      events.add(sse("content_block_start", block));
      int half = move.text().length() / 2;
      for (String piece : List.of(move.text().substring(0, half), move.text().substring(half))) {
        ObjectNode delta = JSON.createObjectNode().put("type", "content_block_delta").put("index", 0);
        delta.putObject("delta").put("type", "text_delta").put("text", piece);
        events.add(sse("content_block_delta", delta));
      }
    }
    events.add(sse("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", 0)));
    ObjectNode end = JSON.createObjectNode().put("type", "message_delta");
    end.putObject("delta").put("stop_reason", move.tool() != null ? "tool_use" : "end_turn").putNull("stop_sequence");
    end.putObject("usage").put("output_tokens", outputTokens);
    events.add(sse("message_delta", end));
    events.add(sse("message_stop", JSON.createObjectNode().put("type", "message_stop")));
    return events;
  }

  /** The same turn as OpenAI streams it: chat.completion.chunk deltas, a usage chunk, then [DONE]. */
  static List<String> openaiEvents(Move move, String id, int promptTokens, int completionTokens) {
    List<String> events = new ArrayList<>();
    if (move.tool() != null) {
      String args = JSON.writeValueAsString(move.arguments());
      int half = args.length() / 2;
      ObjectNode first = chunk(id);
      ObjectNode call = ((ObjectNode) first.path("choices").path(0).path("delta")).putArray("tool_calls").addObject();
      call.put("index", 0).put("id", "call_" + id).put("type", "function").putObject("function")
          .put("name", move.tool()).put("arguments", args.substring(0, half));
      events.add(sse(null, first));
      ObjectNode second = chunk(id);
      ((ObjectNode) second.path("choices").path(0).path("delta")).putArray("tool_calls").addObject().put("index", 0)
          .putObject("function").put("arguments", args.substring(half));
      events.add(sse(null, second));
    } else {
      int half = move.text().length() / 2;
      for (String piece : List.of(move.text().substring(0, half), move.text().substring(half))) {
        ObjectNode c = chunk(id);
        ((ObjectNode) c.path("choices").path(0).path("delta")).put("content", piece);
        events.add(sse(null, c));
      }
    }
    ObjectNode last = chunk(id);
    ((ObjectNode) last.path("choices").path(0)).put("finish_reason", move.tool() != null ? "tool_calls" : "stop");
    events.add(sse(null, last));
    ObjectNode usage = JSON.createObjectNode().put("id", "chatcmpl-" + id).put("object", "chat.completion.chunk");
    usage.putArray("choices");
    usage.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
        .put("total_tokens", promptTokens + completionTokens);
    events.add(sse(null, usage));
    events.add("data: [DONE]\n\n");
    return events;
  }

  private static ObjectNode chunk(String id) {
    ObjectNode c = JSON.createObjectNode().put("id", "chatcmpl-" + id).put("object", "chat.completion.chunk")
        .put("created", 1_700_000_000).put("model", "gpt-test");
    ObjectNode choice = c.putArray("choices").addObject();
    choice.put("index", 0).putObject("delta");
    choice.putNull("finish_reason");
    return c;
  }

  private static String sse(String event, JsonNode data) {
    return (event == null ? "" : "event: " + event + "\n") + "data: " + JSON.writeValueAsString(data) + "\n\n";
  }

  static Answer anthropicError(int status, String type, String message, String retryAfter) {
    ObjectNode body = JSON.createObjectNode().put("type", "error");
    body.putObject("error").put("type", type).put("message", message);
    return Answer.status(status, retryAfter == null ? Map.of("Content-Type", "application/json")
        : Map.of("Content-Type", "application/json", "retry-after", retryAfter), JSON.writeValueAsString(body));
  }

  static Answer openaiError(int status, String code, String message, String retryAfter) {
    ObjectNode body = JSON.createObjectNode();
    body.putObject("error").put("message", message).put("type", "requests").putNull("param").put("code", code);
    return Answer.status(status, retryAfter == null ? Map.of("Content-Type", "application/json")
        : Map.of("Content-Type", "application/json", "retry-after", retryAfter), JSON.writeValueAsString(body));
  }

  /** The text of the last tool result in an Anthropic request (a {@code tool_result} block in the last user message). */
  static String lastAnthropicToolResult(JsonNode request) {
    JsonNode messages = request.path("messages");
    JsonNode last = messages.get(messages.size() - 1);
    for (JsonNode block : last.path("content")) {
      if ("tool_result".equals(block.path("type").asString(""))) {
        return block.path("content").path(0).path("text").asString("");
      }
    }
    throw new AssertionError("no tool_result in the last message: " + last);
  }

  /** The text of the last tool result in an OpenAI request (the last {@code role: tool} message). */
  static String lastOpenAiToolResult(JsonNode request) {
    JsonNode messages = request.path("messages");
    JsonNode last = messages.get(messages.size() - 1);
    if (!"tool".equals(last.path("role").asString(""))) {
      throw new AssertionError("the last message is not a tool result: " + last);
    }
    return last.path("content").asString("");
  }
}

package dev.orca.orchestrator.agent.llm;

import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The provider-neutral conversation a context agent has with its model; each provider maps it to its wire format. */
final class Conversation {
  private Conversation() {}

  /** A tool offered to the model: a provider-safe {@code name}, its description and JSON Schema for arguments. */
  record ToolSpec(String name, String description, JsonNode inputSchema) {}

  /** The model asks for a tool: {@code id} pairs the result with the request. */
  record ToolUse(String id, String name, JsonNode arguments) {}

  /** A tool's answer as the model sees it. */
  record ToolOutput(String id, String content, boolean isError) {}

  /** One message of the conversation. */
  sealed interface Message permits UserText, AssistantTurn, ToolResults {}

  record UserText(String text) implements Message {}

  /** What the model said: text (may be empty) and the tools it asked for. */
  record AssistantTurn(String text, List<ToolUse> toolUses) implements Message {}

  record ToolResults(List<ToolOutput> outputs) implements Message {}

  /**
   * A request: {@code system} prompt, the messages so far, the tools on offer, the agent's
   * {@code parameters} ({@code temperature}, {@code maxTokens}, {@code topP}), and whether to stream the reply.
   */
  record Request(String model, String system, List<Message> messages, List<ToolSpec> tools, JsonNode parameters,
      int maxTokens, boolean stream) {

    /** {@code model}, {@code max_tokens}, {@code temperature}, {@code top_p}: the same keys in both wire formats. */
    void writeSampling(ObjectNode body) {
      body.put("model", model);
      body.put("max_tokens", parameters.path("maxTokens").asInt(maxTokens));
      if (parameters.has("temperature")) {
        body.set("temperature", parameters.get("temperature"));
      }
      if (parameters.has("topP")) {
        body.set("top_p", parameters.get("topP"));
      }
    }
  }

  /** The model's reply with the usage the provider reported for it (null when it reported none). */
  record Reply(String text, List<ToolUse> toolUses, Long promptTokens, Long completionTokens, String stopReason) {}
}

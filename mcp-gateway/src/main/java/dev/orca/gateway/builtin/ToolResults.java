package dev.orca.gateway.builtin;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** MCP {@code CallToolResult}s: a text block and structured content, or a tool error. */
final class ToolResults {
  private ToolResults() {}

  /** A result whose text block is the JSON of {@code structured} and whose structuredContent is it. */
  static ObjectNode structured(JsonMapper json, JsonNode structured) {
    ObjectNode result = json.createObjectNode();
    result.putArray("content").addObject().put("type", "text").put("text", json.writeValueAsString(structured));
    result.set("structuredContent", structured);
    result.put("isError", false);
    return result;
  }

  /** A tool error ({@code isError: true}) whose text tells the caller what to change. */
  static ObjectNode error(JsonMapper json, String message) {
    ObjectNode result = json.createObjectNode();
    result.putArray("content").addObject().put("type", "text").put("text", message);
    result.put("isError", true);
    return result;
  }
}

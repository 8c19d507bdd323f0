package dev.orca.orchestrator.engine;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.StringNode;

/** What a tool step's {@code assign} binds from an MCP result (DESIGN §3). */
final class ToolResults {
  private static final JsonMapper json = JsonMapper.builder().build();

  private ToolResults() {}

  /**
   * {@code structuredContent} when present; otherwise the JSON parsed from a lone text block when it
   * parses; otherwise that text; otherwise the whole content array.
   */
  static JsonNode bindable(JsonNode result) {
    JsonNode structured = result.get("structuredContent");
    if (structured != null && !structured.isNull()) {
      return structured;
    }
    JsonNode content = result.path("content");
    if (content.isArray() && content.size() == 1 && "text".equals(content.get(0).path("type").asString(""))) {
      String text = content.get(0).path("text").asString("");
      try {
        return json.readTree(text);
      } catch (JacksonException notJson) {
        return StringNode.valueOf(text);
      }
    }
    return content;
  }

  /** The first text block, to say in an error what the tool said. */
  static String firstText(JsonNode result) {
    for (JsonNode block : result.path("content")) {
      if ("text".equals(block.path("type").asString(""))) {
        return block.path("text").asString("");
      }
    }
    return "(no text)";
  }
}

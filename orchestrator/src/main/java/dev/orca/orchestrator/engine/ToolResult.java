package dev.orca.orchestrator.engine;

import tools.jackson.databind.JsonNode;

/**
 * The tool's MCP result, kept whole ({@code content} blocks of every type, {@code structuredContent},
 * {@code isError}, {@code _meta}).
 */
public record ToolResult(JsonNode result) {

  public boolean isError() {
    return result.path("isError").asBoolean(false);
  }
}

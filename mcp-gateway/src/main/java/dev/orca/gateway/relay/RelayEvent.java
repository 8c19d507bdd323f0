package dev.orca.gateway.relay;

import tools.jackson.databind.JsonNode;

/**
 * What a call emits on its way: {@code notifications/progress} params from the upstream (relayed to a
 * client that asked for progress), then exactly one {@code CallToolResult}. One of the two is non-null.
 */
public record RelayEvent(JsonNode progress, JsonNode result) {
  public static RelayEvent progressOf(JsonNode params) {
    return new RelayEvent(params, null);
  }

  public static RelayEvent resultOf(JsonNode result) {
    return new RelayEvent(null, result);
  }

  public boolean isResult() {
    return result != null;
  }
}

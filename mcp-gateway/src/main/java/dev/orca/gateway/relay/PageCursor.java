package dev.orca.gateway.relay;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Where a {@code tools/list} page ends: the upstream, that upstream's own cursor (null for its first page)
 * and the offset in that upstream page. Opaque to clients (base64url of a small JSON object).
 */
record PageCursor(String server, String upstreamCursor, int offset) {

  String encode(JsonMapper json) {
    ObjectNode o = json.createObjectNode();
    o.put("s", server);
    if (upstreamCursor != null) {
      o.put("c", upstreamCursor);
    }
    o.put("o", offset);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.writeValueAsBytes(o));
  }

  /** The cursor, or an {@link IllegalArgumentException} when this gateway did not issue it. */
  static PageCursor decode(JsonMapper json, String cursor) {
    try {
      JsonNode o = json.readTree(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
      if (o == null || !o.path("s").isString() || !o.path("o").isIntegralNumber() || o.path("o").asInt() < 0
          || (o.has("c") && !o.get("c").isString())) {
        throw new IllegalArgumentException("not a tools/list cursor of this gateway");
      }
      return new PageCursor(o.get("s").asString(), o.has("c") ? o.get("c").asString() : null, o.get("o").asInt());
    } catch (IllegalArgumentException | JacksonException e) {
      throw new IllegalArgumentException("Invalid cursor: pass the nextCursor of a previous tools/list unchanged", e);
    }
  }
}

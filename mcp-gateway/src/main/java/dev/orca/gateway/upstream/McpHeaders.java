package dev.orca.gateway.upstream;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The request-metadata headers of 2026-07-28 Streamable HTTP: {@code Mcp-Method}, {@code Mcp-Name} and the
 * {@code Mcp-Param-{name}} headers a tool asks for with {@code x-mcp-header} in its input schema.
 */
final class McpHeaders {
  static final String METHOD = "Mcp-Method";
  static final String NAME = "Mcp-Name";
  private static final String PARAM_PREFIX = "Mcp-Param-";
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Set<String> HEADER_TYPES = Set.of("string", "integer", "boolean");

  private McpHeaders() {}

  /** The value as is when it is plain visible ASCII, else the {@code =?base64?…?=} form. */
  static String encode(String value) {
    boolean plain = !value.isEmpty() && value.charAt(0) != ' ' && value.charAt(value.length() - 1) != ' '
        && !(value.startsWith("=?base64?") && value.endsWith("?="));
    for (int i = 0; plain && i < value.length(); i++) {
      char c = value.charAt(i);
      plain = c >= 0x20 && c <= 0x7E;
    }
    return plain ? value
        : "=?base64?" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "?=";
  }

  /** {@code Mcp-Param-*} headers for a call of {@code tool} with {@code arguments} (absent/null values omitted). */
  static Map<String, String> paramHeaders(JsonNode tool, JsonNode arguments) {
    Map<String, String> headers = new LinkedHashMap<>();
    collect(tool.path("inputSchema"), arguments, headers);
    return headers;
  }

  private static void collect(JsonNode schema, JsonNode value, Map<String, String> headers) {
    JsonNode properties = schema.path("properties");
    if (!properties.isObject() || value == null || !value.isObject()) {
      return;
    }
    for (String key : properties.propertyNames()) {
      JsonNode property = properties.get(key);
      JsonNode v = value.get(key);
      if (v == null || v.isNull()) {
        continue;
      }
      String header = property.path("x-mcp-header").asString(null);
      if (header != null && (v.isString() || v.isIntegralNumber() || v.isBoolean())) {
        headers.put(PARAM_PREFIX + header, v.isString() ? encode(v.asString()) : v.asString());
      }
      collect(property, v, headers);
    }
  }

  /**
   * Why a tool's {@code x-mcp-header} annotations are invalid (empty, not a header token, on a non-primitive
   * property, or repeated), or null when they are fine; a client must leave such a tool out of its list.
   */
  static String invalidParamHeaders(JsonNode tool) {
    return check(tool.path("inputSchema"), new HashSet<>());
  }

  private static String check(JsonNode schema, Set<String> seen) {
    JsonNode properties = schema.path("properties");
    if (!properties.isObject()) {
      return null;
    }
    for (String key : properties.propertyNames()) {
      JsonNode property = properties.get(key);
      JsonNode header = property.get("x-mcp-header");
      if (header != null) {
        if (!header.isString() || !TOKEN.matcher(header.asString()).matches()) {
          return "x-mcp-header of '" + key + "' is not a header name token";
        }
        if (!HEADER_TYPES.contains(property.path("type").asString(""))) {
          return "x-mcp-header on '" + key + "', which is not a string, integer or boolean";
        }
        if (!seen.add(header.asString().toLowerCase(Locale.ROOT))) {
          return "x-mcp-header '" + header.asString() + "' is used twice";
        }
      }
      String nested = check(property, seen);
      if (nested != null) {
        return nested;
      }
    }
    return null;
  }
}

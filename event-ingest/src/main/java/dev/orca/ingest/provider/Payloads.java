package dev.orca.ingest.provider;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Reading providers' JSON bodies: the object, and optional text fields. */
final class Payloads {
  /** What may go into a CloudEvent type segment. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}");

  private Payloads() {}

  /** The body as a JSON object, or a 400 naming the problem. */
  static JsonNode object(ObjectMapper json, byte[] body, String what, String event) {
    JsonNode tree;
    try {
      tree = json.readTree(body);
    } catch (JacksonException e) {
      throw Rejection.malformed("The body is not JSON: " + e.getOriginalMessage(), event);
    }
    if (tree == null || !tree.isObject()) {
      throw Rejection.malformed("The body must be a JSON object (" + what + ")", event);
    }
    return tree;
  }

  /** A string or number field's text; null when absent, null or another kind. */
  static String text(JsonNode node) {
    if (node == null || !(node.isString() || node.isIntegralNumber())) {
      return null;
    }
    String value = node.asString();
    return value.isEmpty() ? null : value;
  }

  /** An id made safe for a URN segment. */
  static String urnPart(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8);
  }

  /** Whether {@code value} may name an event in a CloudEvent type. */
  static boolean isName(String value) {
    return value != null && NAME.matcher(value).matches();
  }
}

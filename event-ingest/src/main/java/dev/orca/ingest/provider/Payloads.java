package dev.orca.ingest.provider;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
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

  /**
   * Which fields of a JSON object body to read with {@link #fields}: dotted paths into nested objects,
   * e.g. {@code repository.full_name}.
   */
  record Fields(Set<String> paths, Set<String> objects) {
    static Fields of(List<String> paths) {
      Set<String> objects = new HashSet<>();
      for (String path : paths) {
        for (int dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
          objects.add(path.substring(0, dot + 1));
        }
      }
      return new Fields(Set.copyOf(paths), Set.copyOf(objects));
    }
  }

  /**
   * The named fields' text (as {@link #text}: strings and integers, not empty) of a JSON object body,
   * read token by token without building a tree (bodies run to megabytes, the fields are few); the
   * whole body must still be well-formed JSON. Absent fields are missing from the map. A 400 names
   * the problem.
   */
  static Map<String, String> fields(ObjectMapper json, byte[] body, Fields fields, String what, String event) {
    Map<String, String> found = new HashMap<>();
    try (JsonParser parser = json.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw Rejection.malformed("The body must be a JSON object (" + what + ")", event);
      }
      read(parser, "", fields, found);
      if (parser.nextToken() != null) {
        throw Rejection.malformed("The body has more after its JSON object (" + what + ")", event);
      }
    } catch (JacksonException e) {
      throw Rejection.malformed("The body is not JSON: " + e.getOriginalMessage(), event);
    }
    return found;
  }

  /** Reads one object's properties (the parser just read its start), descending only where a field is. */
  private static void read(JsonParser parser, String prefix, Fields fields, Map<String, String> found) {
    for (String name = parser.nextName(); name != null; name = parser.nextName()) {
      String path = prefix.isEmpty() ? name : prefix + name;
      JsonToken token = parser.nextToken();
      if (token == JsonToken.START_OBJECT && fields.objects().contains(path + '.')) {
        read(parser, path + '.', fields, found);
        continue;
      }
      if (fields.paths().contains(path)) {
        String value = token == JsonToken.VALUE_STRING || token == JsonToken.VALUE_NUMBER_INT ? parser.getString() : "";
        if (value.isEmpty()) {
          found.remove(path); // a repeated name counts with its last value, as in a tree
        } else {
          found.put(path, value);
        }
      }
      parser.skipChildren(); // a nested object or array not needed (nothing for a scalar)
    }
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

package dev.orca.orchestrator.definition;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * {@code ${path}} references in a JSON template (a step's {@code params} or {@code input}).
 *
 * <ul>
 *   <li>Path syntax: a root, then {@code .key}, {@code [index]} or {@code ['key']}/{@code ["key"]}
 *       (for keys with dots, spaces…; {@code \'} and {@code \\} escape inside quotes), e.g.
 *       {@code issue.labels[0].name}, {@code event['x-github-event']}. Blanks around the path are ignored.
 *   <li>A string that is exactly one {@code ${...}} becomes the value with its JSON type (number,
 *       object, null…). Inside a longer string a value is rendered as text: strings as they are,
 *       objects and arrays as compact JSON, null as {@code null}.
 *   <li>{@code $${} is a literal {@code ${}. Object keys are never interpolated.
 *   <li>A path without a value fails with {@link MissingPathException} naming the path.
 * </ul>
 */
public final class Interpolator {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Interpolator() {}

  /**
   * Resolves every {@code ${path}} in {@code template} against {@code context}, an object with roots
   * {@code input}, {@code event}, {@code repo}, {@code execution} and each earlier {@code assign}.
   * Returns a new tree; neither argument is changed.
   *
   * @throws MissingPathException if a path has no value
   * @throws IllegalArgumentException if the template has a malformed {@code ${...}} (validation refuses those)
   */
  public static JsonNode resolve(JsonNode template, JsonNode context) throws MissingPathException {
    if (template == null) {
      return null;
    }
    if (template.isString()) {
      return resolveString(template.asString(), context);
    }
    if (template.isObject()) {
      ObjectNode out = NODES.objectNode();
      for (Map.Entry<String, JsonNode> e : template.properties()) {
        out.set(e.getKey(), resolve(e.getValue(), context));
      }
      return out;
    }
    if (template.isArray()) {
      ArrayNode out = NODES.arrayNode(template.size());
      for (JsonNode item : template) {
        out.add(resolve(item, context));
      }
      return out;
    }
    return template.deepCopy();
  }

  /**
   * The root names referenced anywhere in {@code template}, in order of first use.
   *
   * @throws IllegalArgumentException if a {@code ${...}} is malformed
   */
  public static Set<String> roots(JsonNode template) {
    Set<String> roots = new LinkedHashSet<>();
    List<Problem> problems = new ArrayList<>();
    scan(template, "", (pointer, ref) -> roots.add(ref.path().root()), problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(problems.get(0).message());
    }
    return roots;
  }

  /** A malformed reference at a JSON pointer (relative to the scanned template). */
  record Problem(String pointer, String message) {}

  interface RefVisitor {
    void visit(String pointer, Ref ref);
  }

  /** Visits every reference in {@code template} with its JSON pointer (prefixed by {@code base}); collects syntax problems. */
  static void scan(JsonNode template, String base, RefVisitor visitor, List<Problem> problems) {
    if (template == null) {
      return;
    }
    if (template.isString()) {
      try {
        for (Part part : Template.parse(template.asString())) {
          if (part instanceof Ref ref) {
            visitor.visit(base, ref);
          }
        }
      } catch (IllegalArgumentException e) {
        problems.add(new Problem(base, e.getMessage()));
      }
    } else if (template.isObject()) {
      for (Map.Entry<String, JsonNode> e : template.properties()) {
        scan(e.getValue(), base + "/" + escapePointer(e.getKey()), visitor, problems);
      }
    } else if (template.isArray()) {
      for (int i = 0; i < template.size(); i++) {
        scan(template.get(i), base + "/" + i, visitor, problems);
      }
    }
  }

  /** A key as a JSON pointer segment (RFC 6901: ~ as ~0, / as ~1). */
  public static String escapePointer(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  private static JsonNode resolveString(String text, JsonNode context) {
    if (!text.contains("${")) {
      return StringNode.valueOf(text);
    }
    List<Part> parts = Template.parse(text);
    if (parts.size() == 1 && parts.get(0) instanceof Ref ref) {
      return ref.path().lookup(context).deepCopy();
    }
    StringBuilder out = new StringBuilder();
    for (Part part : parts) {
      if (part instanceof Literal literal) {
        out.append(literal.text());
      } else if (part instanceof Ref ref) {
        JsonNode value = ref.path().lookup(context);
        out.append(value.isString() ? value.asString() : value.toString());
      }
    }
    return StringNode.valueOf(out.toString());
  }

  // ---------------------------------------------------------------------------------------------
  // Parsing

  sealed interface Part permits Literal, Ref {}

  record Literal(String text) implements Part {}

  /** A {@code ${...}}: the path as written (trimmed) and parsed. */
  record Ref(String source, Path path) implements Part {}

  /** A parsed path: the root name and the segments after it (String keys, Integer indexes). */
  record Path(String source, String root, List<Object> segments) {
    JsonNode lookup(JsonNode context) {
      JsonNode current = context == null ? null : context.get(root);
      if (current == null || current.isMissingNode()) {
        throw new MissingPathException(source, "'" + root + "' not found in the context");
      }
      StringBuilder where = new StringBuilder(root);
      for (Object segment : segments) {
        if (segment instanceof Integer index) {
          if (!current.isArray()) {
            throw new MissingPathException(source, where + " is " + describe(current) + ", not an array");
          }
          if (index >= current.size()) {
            throw new MissingPathException(source,
                "index " + index + " out of bounds in " + where + " (size " + current.size() + ")");
          }
          current = current.get(index);
          where.append('[').append(index).append(']');
        } else {
          String key = (String) segment;
          if (!current.isObject()) {
            throw new MissingPathException(source, where + " is " + describe(current) + ", not an object");
          }
          JsonNode next = current.get(key);
          if (next == null || next.isMissingNode()) {
            throw new MissingPathException(source, "'" + key + "' not found in " + where);
          }
          current = next;
          where.append(isPlainKey(key) ? "." + key : "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']");
        }
      }
      return current;
    }

    private static String describe(JsonNode node) {
      if (node.isNull()) {
        return "null";
      }
      if (node.isString()) {
        return "a string";
      }
      if (node.isNumber()) {
        return "a number";
      }
      if (node.isBoolean()) {
        return "a boolean";
      }
      return node.isArray() ? "an array" : node.isObject() ? "an object" : "a " + node.getNodeType();
    }
  }

  static boolean isPlainKey(String key) {
    if (key.isEmpty()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** Splits a string into literal text and references. */
  static final class Template {
    private Template() {}

    static List<Part> parse(String text) {
      List<Part> parts = new ArrayList<>();
      StringBuilder literal = new StringBuilder();
      int i = 0;
      while (i < text.length()) {
        if (text.startsWith("$${", i)) {
          literal.append("${");
          i += 3;
        } else if (text.startsWith("${", i)) {
          int end = closingBrace(text, i + 2);
          String source = text.substring(i + 2, end).strip();
          if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
            literal.setLength(0);
          }
          parts.add(new Ref(source, PathParser.parse(source)));
          i = end + 1;
        } else {
          literal.append(text.charAt(i++));
        }
      }
      if (literal.length() > 0) {
        parts.add(new Literal(literal.toString()));
      }
      return parts;
    }

    /** The index of the '}' that closes a reference starting at {@code from}, skipping quoted keys. */
    private static int closingBrace(String text, int from) {
      char quote = 0;
      for (int i = from; i < text.length(); i++) {
        char c = text.charAt(i);
        if (quote != 0) {
          if (c == '\\') {
            i++;
          } else if (c == quote) {
            quote = 0;
          }
        } else if (c == '\'' || c == '"') {
          quote = c;
        } else if (c == '}') {
          return i;
        }
      }
      throw new IllegalArgumentException("unterminated ${ in \"" + text + "\" (write $${ for a literal ${)");
    }
  }

  /** {@code root(.key | [index] | ['key'] | ["key"])*}. */
  static final class PathParser {
    private final String s;
    private int i;

    private PathParser(String s) {
      this.s = s;
    }

    static Path parse(String source) {
      if (source.isEmpty()) {
        throw new IllegalArgumentException("empty reference ${}");
      }
      PathParser p = new PathParser(source);
      String root = p.identifier(true);
      List<Object> segments = new ArrayList<>();
      while (p.i < source.length()) {
        char c = source.charAt(p.i);
        if (c == '.') {
          p.i++;
          segments.add(p.identifier(false));
        } else if (c == '[') {
          p.i++;
          p.skipBlanks();
          segments.add(p.bracketed());
          p.skipBlanks();
          p.expect(']');
        } else {
          throw p.error("unexpected '" + c + "'");
        }
      }
      return new Path(source, root, List.copyOf(segments));
    }

    private String identifier(boolean root) {
      int start = i;
      while (i < s.length()) {
        char c = s.charAt(i);
        boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_' || (!root && c == '-'));
        if (!ok || (root && i == start && Character.isDigit(c))) {
          break;
        }
        i++;
      }
      if (i == start) {
        throw error(root ? "a path starts with a name (letters, digits, _)" : "expected a key after '.'");
      }
      return s.substring(start, i);
    }

    private Object bracketed() {
      if (i >= s.length()) {
        throw error("unterminated [");
      }
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        i++;
        StringBuilder key = new StringBuilder();
        while (i < s.length() && s.charAt(i) != c) {
          char k = s.charAt(i++);
          if (k == '\\' && i < s.length()) {
            k = s.charAt(i++);
          }
          key.append(k);
        }
        if (i >= s.length()) {
          throw error("unterminated quoted key");
        }
        i++;
        return key.toString();
      }
      int start = i;
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (start == i) {
        throw error("expected an index or a quoted key in [ ]");
      }
      try {
        return Integer.valueOf(s.substring(start, i));
      } catch (NumberFormatException e) {
        throw error("index too large");
      }
    }

    private void skipBlanks() {
      while (i < s.length() && s.charAt(i) == ' ') {
        i++;
      }
    }

    private void expect(char c) {
      if (i >= s.length() || s.charAt(i) != c) {
        throw error("expected '" + c + "'");
      }
      i++;
    }

    private IllegalArgumentException error(String what) {
      return new IllegalArgumentException("malformed reference ${" + s + "}: " + what + " at position " + (i + 1));
    }
  }
}

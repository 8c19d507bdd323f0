package dev.orca.orchestrator.agent.registry;

import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.orca.orchestrator.definition.Interpolator;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Reads an agent from a request body and checks every registry rule before the database sees it, so one
 * 400 names each rule broken. The agent type rules are named after the CHECK constraints of V3 that back
 * them ({@link #TYPE_RULE}, {@link #CONTEXT_RULE}, {@link #ENDPOINT_RULE}); the others:
 * {@code slug_format}, {@code required}, {@code field_type}, {@code unknown_property}, {@code llm_provider},
 * {@code llm_max_turns}, {@code llm_tools}, {@code endpoint_url}, {@code endpoint_method},
 * {@code endpoint_authentication}, {@code secret_by_name}, {@code io_schema}, {@code template_roots}.
 */
public final class AgentRules {
  public static final String CONTEXT = "context";
  public static final String API = "api";
  public static final String EXTERNAL = "external";
  public static final Set<String> TYPES = Set.of(CONTEXT, API, EXTERNAL);

  public static final String TYPE_RULE = "chk_agents_agent_type";
  public static final String CONTEXT_RULE = "chk_agents_context_needs_llm_config_no_endpoint";
  public static final String ENDPOINT_RULE = "chk_agents_api_external_need_endpoint_no_llm_config";

  public static final Set<String> PROVIDERS = Set.of("anthropic", "openai");
  public static final int MAX_TURNS_LIMIT = 50;
  static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
  static final Set<String> AUTH_TYPES = Set.of("bearer", "api-key", "basic", "none");

  private static final Pattern SLUG = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,127}$");
  private static final Pattern SECRET_NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$");
  private static final Pattern TOOL_PATTERN = Pattern.compile("^[A-Za-z0-9_-]+\\.([A-Za-z0-9_./-]+|\\*)$");
  private static final Set<String> FIELDS = Set.of("slug", "organizations", "name", "description", "version",
      "agentType", "department", "tags", "ioSchema", "capabilities", "context", "endpoint", "llmConfig", "metadata");
  private static final Set<String> LLM_FIELDS = Set.of("provider", "model", "baseUrl", "apiKeySecret", "maxTurns",
      "tools", "parameters", "stream");
  private static final Set<String> ENDPOINT_FIELDS = Set.of("url", "method", "headers", "authentication",
      "requestTransform", "responseTransform");
  /** Keys that would put a secret's value in the database; secrets are referenced by name only. */
  private static final Set<String> SECRET_VALUE_KEYS = Set.of("token", "password", "apikey", "api_key", "secret", "key");
  private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private AgentRules() {}

  public static boolean isSlug(String s) {
    return s != null && SLUG.matcher(s).matches();
  }

  public static boolean isSecretName(String s) {
    return s != null && SECRET_NAME.matcher(s).matches();
  }

  /**
   * The agent in {@code body}; {@code pathSlug} is the slug of a PUT (the body may omit it or repeat it).
   *
   * @throws RegistryException 400 listing every rule broken
   */
  static Agent read(JsonNode body, String pathSlug) {
    Checker c = new Checker(body);
    if (body == null || !body.isObject()) {
      throw RegistryException.invalid("agent", List.of(new RuleViolation("", "field_type",
          "the body is a JSON object: {\"slug\", \"organizations\", \"name\", \"agentType\", ...}")));
    }
    c.unknown("", body, FIELDS);
    String slug = pathSlug != null ? pathSlug : c.string("/slug", true);
    if (pathSlug != null && body.has("slug") && !pathSlug.equals(body.path("slug").asString(null))) {
      c.add("/slug", "slug_format", "an agent cannot be renamed: leave 'slug' out or repeat '" + pathSlug + "'");
    } else if (slug != null && !isSlug(slug)) {
      c.add("/slug", "slug_format", "a slug is 1-128 lowercase letters, digits, '_' or '-', starting with a letter or digit");
    }
    List<String> organizations = c.strings("/organizations", true);
    if (organizations != null && organizations.isEmpty()) {
      c.add("/organizations", "required", "an agent belongs to at least one organization (by slug)");
    }
    String type = c.string("/agentType", true);
    if (type != null && !TYPES.contains(type)) {
      c.add("/agentType", TYPE_RULE, "'agentType' is one of context, api, external; got '" + type + "'");
    }
    JsonNode endpoint = c.object("/endpoint", false);
    JsonNode llm = c.object("/llmConfig", false);
    if (CONTEXT.equals(type)) {
      if (llm == null) {
        c.add("/llmConfig", CONTEXT_RULE, "a context agent needs 'llmConfig' (provider, model, ...)");
      }
      if (endpoint != null) {
        c.add("/endpoint", CONTEXT_RULE, "a context agent has no 'endpoint'; it talks to its LLM provider");
      }
    } else if (API.equals(type) || EXTERNAL.equals(type)) {
      if (endpoint == null) {
        c.add("/endpoint", ENDPOINT_RULE, "an " + type + " agent needs 'endpoint' (url, method, authentication, ...)");
      }
      if (llm != null) {
        c.add("/llmConfig", ENDPOINT_RULE, "an " + type + " agent has no 'llmConfig'; only context agents do");
      }
    }
    if (llm != null) {
      llmConfig(c, llm);
    }
    if (endpoint != null) {
      endpoint(c, endpoint, type);
    }
    JsonNode ioSchema = c.object("/ioSchema", true);
    if (ioSchema != null) {
      ioSchema(c, ioSchema);
    }
    Agent agent = new Agent(slug, organizations, c.string("/name", true), c.string("/description", true),
        orDefault(c.string("/version", false), "1.0.0"), type, c.string("/department", true),
        orDefault(c.strings("/tags", false), List.of()), ioSchema, c.strings("/capabilities", true),
        c.string("/context", true), endpoint, llm, orDefault(c.object("/metadata", false),
            JsonNodeFactory.instance.objectNode()), null, null);
    c.throwIfAny("agent");
    return agent;
  }

  private static void llmConfig(Checker c, JsonNode llm) {
    c.unknown("/llmConfig", llm, LLM_FIELDS);
    String provider = c.string("/llmConfig/provider", true);
    if (provider != null && !PROVIDERS.contains(provider)) {
      c.add("/llmConfig/provider", "llm_provider", "'provider' is anthropic (Messages API) or openai (Chat Completions, "
          + "also any OpenAI-compatible server such as Ollama or vLLM via 'baseUrl'); got '" + provider + "'");
    }
    c.string("/llmConfig/model", true);
    String baseUrl = c.string("/llmConfig/baseUrl", false);
    if (baseUrl != null && !isHttpUrl(baseUrl)) {
      c.add("/llmConfig/baseUrl", "endpoint_url", "'baseUrl' is an absolute http(s) URL");
    }
    String secret = c.string("/llmConfig/apiKeySecret", false);
    if (secret != null && !isSecretName(secret)) {
      c.add("/llmConfig/apiKeySecret", "secret_by_name",
          "'apiKeySecret' names a secret (letters, digits, '_', '.', '-'), never the key itself");
    }
    JsonNode maxTurns = llm.get("maxTurns");
    if (maxTurns != null && !(maxTurns.isIntegralNumber() && maxTurns.asInt() >= 1 && maxTurns.asInt() <= MAX_TURNS_LIMIT)) {
      c.add("/llmConfig/maxTurns", "llm_max_turns", "'maxTurns' is an integer within 1.." + MAX_TURNS_LIMIT);
    }
    List<String> tools = c.strings("/llmConfig/tools", false);
    if (tools != null) {
      for (int i = 0; i < tools.size(); i++) {
        if (!TOOL_PATTERN.matcher(tools.get(i)).matches()) {
          c.add("/llmConfig/tools/" + i, "llm_tools", "a tool is named server.tool, or server.* for all of a server's tools");
        }
      }
    }
    c.object("/llmConfig/parameters", false);
    JsonNode stream = llm.get("stream");
    if (stream != null && !stream.isNull() && !stream.isBoolean()) {
      c.add("/llmConfig/stream", "field_type", "'stream' is true or false");
    }
  }

  private static void endpoint(Checker c, JsonNode endpoint, String type) {
    c.unknown("/endpoint", endpoint, ENDPOINT_FIELDS);
    String url = c.string("/endpoint/url", true);
    if (url != null && !isHttpUrl(url)) {
      c.add("/endpoint/url", "endpoint_url", "'url' is an absolute http(s) URL");
    }
    String method = c.string("/endpoint/method", false);
    if (method != null && !METHODS.contains(method)) {
      c.add("/endpoint/method", "endpoint_method", "'method' is one of " + String.join(", ", METHODS.stream().sorted().toList()));
    } else if (method != null && EXTERNAL.equals(type) && !"POST".equals(method)) {
      c.add("/endpoint/method", "endpoint_method", "an external (A2A) agent is called with POST (JSON-RPC message/send)");
    }
    JsonNode headers = c.object("/endpoint/headers", false);
    if (headers != null) {
      for (Map.Entry<String, JsonNode> h : headers.properties()) {
        if (!h.getValue().isString()) {
          c.add("/endpoint/headers/" + pointerSegment(h.getKey()), "field_type", "a header value is a string");
        } else if (h.getKey().equalsIgnoreCase("authorization") || h.getKey().toLowerCase().contains("api-key")) {
          c.add("/endpoint/headers/" + pointerSegment(h.getKey()), "secret_by_name",
              "credentials do not go in 'headers'; use 'authentication' with a 'secretName'");
        }
      }
    }
    JsonNode auth = c.object("/endpoint/authentication", false);
    if (auth != null) {
      for (String key : auth.propertyNames()) {
        if (SECRET_VALUE_KEYS.contains(key.toLowerCase())) {
          c.add("/endpoint/authentication/" + pointerSegment(key), "secret_by_name",
              "a credential is referenced by 'secretName' (read from ORCA_SECRET_<NAME> or a mounted file), never stored");
        }
      }
      c.unknown("/endpoint/authentication", auth, Set.of("type", "secretName", "header"), SECRET_VALUE_KEYS);
      String authType = c.string("/endpoint/authentication/type", true);
      if (authType != null && !AUTH_TYPES.contains(authType)) {
        c.add("/endpoint/authentication/type", "endpoint_authentication", "'type' is bearer, api-key, basic or none");
      }
      String secretName = c.string("/endpoint/authentication/secretName", false);
      if (authType != null && !"none".equals(authType) && !isSecretName(secretName)) {
        c.add("/endpoint/authentication/secretName", "secret_by_name",
            "'secretName' names the secret holding the credential (letters, digits, '_', '.', '-')");
      }
      c.string("/endpoint/authentication/header", false);
    }
    JsonNode request = endpoint.get("requestTransform");
    if (request != null && !request.isNull()) {
      templateRoots(c, "/endpoint/requestTransform", request, Set.of("input"));
    }
    JsonNode response = endpoint.get("responseTransform");
    if (response != null && !response.isNull()) {
      if (!response.isString()) {
        c.add("/endpoint/responseTransform", "field_type", "'responseTransform' is a string such as '${response.result}'");
      } else {
        templateRoots(c, "/endpoint/responseTransform", response, Set.of("response"));
      }
    }
  }

  private static void templateRoots(Checker c, String pointer, JsonNode template, Set<String> allowed) {
    try {
      for (String root : Interpolator.roots(template)) {
        if (!allowed.contains(root)) {
          c.add(pointer, "template_roots", "'${" + root + "...}' is unknown here; this template may use only "
              + String.join(", ", allowed.stream().map(r -> "${" + r + "...}").toList()));
        }
      }
    } catch (RuntimeException e) {
      c.add(pointer, "template_roots", "not a valid template: " + e.getMessage());
    }
  }

  private static void ioSchema(Checker c, JsonNode ioSchema) {
    c.unknown("/ioSchema", ioSchema, Set.of("input", "output"));
    for (String part : List.of("input", "output")) {
      JsonNode schema = ioSchema.get(part);
      if (schema == null) {
        continue;
      }
      if (!schema.isObject() && !schema.isBoolean()) {
        c.add("/ioSchema/" + part, "io_schema", "'" + part + "' is a JSON Schema (an object or a boolean)");
        continue;
      }
      try {
        SCHEMAS.getSchema(schema).initializeValidators();
      } catch (RuntimeException e) {
        c.add("/ioSchema/" + part, "io_schema", "'" + part + "' is not a usable JSON Schema: " + e.getMessage());
      }
    }
  }

  static boolean isHttpUrl(String s) {
    try {
      URI uri = URI.create(s);
      return uri.isAbsolute() && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  static String pointerSegment(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }

  private static <T> T orDefault(T value, T otherwise) {
    return value != null ? value : otherwise;
  }

  /** Collects violations while reading typed fields at JSON pointers. */
  static final class Checker {
    private final JsonNode body;
    private final List<RuleViolation> violations = new ArrayList<>();

    Checker(JsonNode body) {
      this.body = body;
    }

    void add(String pointer, String rule, String message) {
      violations.add(new RuleViolation(pointer, rule, message));
    }

    void throwIfAny(String what) {
      if (!violations.isEmpty()) {
        throw RegistryException.invalid(what, violations);
      }
    }

    private JsonNode at(String pointer, boolean required) {
      JsonNode node = body.at(pointer);
      if (node.isMissingNode() || node.isNull()) {
        if (required) {
          add(pointer, "required", "'" + pointer.substring(pointer.lastIndexOf('/') + 1) + "' is required");
        }
        return null;
      }
      return node;
    }

    String string(String pointer, boolean required) {
      JsonNode node = at(pointer, required);
      if (node == null) {
        return null;
      }
      if (!node.isString() || (required && node.asString().isBlank())) {
        add(pointer, "field_type", "'" + last(pointer) + "' is a non-empty string");
        return null;
      }
      return node.asString();
    }

    List<String> strings(String pointer, boolean required) {
      JsonNode node = at(pointer, required);
      if (node == null) {
        return null;
      }
      List<String> values = new ArrayList<>();
      if (!node.isArray()) {
        add(pointer, "field_type", "'" + last(pointer) + "' is an array of strings");
        return null;
      }
      for (JsonNode item : node) {
        if (!item.isString() || item.asString().isBlank()) {
          add(pointer, "field_type", "'" + last(pointer) + "' is an array of non-empty strings");
          return null;
        }
        values.add(item.asString());
      }
      return List.copyOf(values);
    }

    JsonNode object(String pointer, boolean required) {
      JsonNode node = at(pointer, required);
      if (node == null) {
        return null;
      }
      if (!node.isObject()) {
        add(pointer, "field_type", "'" + last(pointer) + "' is a JSON object");
        return null;
      }
      return node;
    }

    void unknown(String pointer, JsonNode node, Set<String> allowed) {
      unknown(pointer, node, allowed, Set.of());
    }

    /** Reports properties outside {@code allowed}, except those in {@code reported} (already said otherwise). */
    void unknown(String pointer, JsonNode node, Set<String> allowed, Set<String> reported) {
      for (String field : node.propertyNames()) {
        if (!allowed.contains(field) && !reported.contains(field.toLowerCase())) {
          add(pointer + "/" + pointerSegment(field), "unknown_property", "unknown property '" + field + "'; allowed: "
              + String.join(", ", allowed.stream().sorted().toList()));
        }
      }
    }

    private static String last(String pointer) {
      return pointer.substring(pointer.lastIndexOf('/') + 1);
    }
  }
}

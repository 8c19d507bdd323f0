package dev.orca.gateway.mcp;

import dev.orca.gateway.relay.RelayEvent;
import dev.orca.gateway.relay.RelayException;
import dev.orca.gateway.relay.ToolRelay;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /mcp}: one JSON-RPC message per request (no batches), answered in the era the client
 * speaks.
 * <ul>
 *   <li><b>Modern</b> (2026-07-28): a request whose {@code params._meta} carries
 *       {@value ProtocolVersions#META_PROTOCOL_VERSION}, or whose {@code MCP-Protocol-Version} header names
 *       a non-legacy revision. Stateless: the {@code MCP-Protocol-Version}, {@code Mcp-Method} and
 *       {@code Mcp-Name} headers must mirror the body (-32020, HTTP 400), the version must be a modern one
 *       (-32022, HTTP 400, listing every supported revision), unknown methods are HTTP 404 -32601;
 *       results carry {@code resultType}. {@code server/discover}, {@code tools/list}, {@code tools/call}.
 *   <li><b>Legacy</b> (2025-03-26, 2025-06-18, 2025-11-25): {@code initialize} negotiates a version and
 *       issues a signed {@code Mcp-Session-Id} ({@link SessionIds}); every later request must carry it
 *       (400 without, 404 when not ours) and, if it sends {@code MCP-Protocol-Version}, the negotiated
 *       version (400 otherwise). {@code ping}, {@code tools/list}, {@code tools/call};
 *       notifications (initialized, cancelled, …) are 202.
 * </ul>
 * Responses are {@code application/json}, or a {@code text/event-stream} (optionally a progress
 * notification, then the response) when the client accepts only that, or accepts it and asked for
 * progress. A client that disconnects, or (legacy) sends {@code notifications/cancelled}, cancels the
 * tool call it made.
 */
@Component
class McpHandler {
  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  static final String METHOD_HEADER = "Mcp-Method";
  static final String NAME_HEADER = "Mcp-Name";
  private static final Logger log = LoggerFactory.getLogger(McpHandler.class);
  private static final String SERVER_NAME = "orca-mcp-gateway";
  private static final String SERVER_VERSION = Optional.ofNullable(
      McpHandler.class.getPackage().getImplementationVersion()).orElse("0.1.0");
  private static final String INSTRUCTIONS = "Orca's MCP gateway: every registered MCP server's tools, named "
      + "<server><separator><tool> (e.g. builtin.echo). Call tools/list to see them.";

  private enum Era { LEGACY, MODERN }

  private final ToolRelay relay;
  private final JsonMapper json;
  private final SessionIds sessions;
  private final InFlightCalls inFlight = new InFlightCalls();
  private final List<String> allowedOrigins;

  McpHandler(
      ToolRelay relay,
      JsonMapper json,
      @Value("${orca.gateway.session-secret:}") String sessionSecret,
      @Value("${orca.gateway.allowed-origins:}") List<String> allowedOrigins) {
    this.relay = relay;
    this.json = json;
    this.allowedOrigins = allowedOrigins.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    byte[] secret;
    if (sessionSecret == null || sessionSecret.isBlank()) {
      secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      log.info("No orca.gateway.session-secret (ORCA_GATEWAY_SESSION_SECRET): legacy MCP sessions are valid "
          + "on this replica only, until it restarts");
    } else {
      secret = sessionSecret.getBytes(StandardCharsets.UTF_8);
    }
    this.sessions = new SessionIds(secret);
  }

  InFlightCalls inFlight() {
    return inFlight;
  }

  /**
   * Checks what can be checked before the body is read ({@code Origin}, {@code Accept},
   * {@code Content-Type}): a refusal, or null to go on with {@link #post}.
   */
  McpReply refuseEarly(McpRequest request) {
    String origin = request.header("Origin");
    if (origin != null && !allowedOrigins.contains(origin)) {
      return reply(403, error(null, McpError.INVALID_REQUEST, "Origin '" + origin
          + "' is not allowed (orca.gateway.allowed-origins)", null), null);
    }
    Responder responder = Responder.of(request.header("Accept"));
    if (!responder.acceptsJson() && !responder.acceptsSse()) {
      return reply(406, error(null, McpError.INVALID_REQUEST,
          "Accept must allow application/json or text/event-stream", null), null);
    }
    if (!isJson(request.header("Content-Type"))) {
      return reply(415, error(null, McpError.INVALID_REQUEST, "Content-Type must be application/json", null), null);
    }
    return null;
  }

  /** The answer to a request whose body was larger than the gateway accepts. */
  McpReply tooLarge() {
    return reply(413, error(null, McpError.INVALID_REQUEST, "Request body too large", null), null);
  }

  /** The answer to a POST that passed {@link #refuseEarly}; {@code body} is its whole body (maybe empty). */
  Mono<McpReply> post(McpRequest request, byte[] body) {
    return handle(request, body, Responder.of(request.header("Accept")));
  }

  private static boolean isJson(String contentType) {
    if (contentType == null || contentType.equals("application/json")) {
      return true;
    }
    try {
      return MediaType.parseMediaType(contentType).isCompatibleWith(MediaType.APPLICATION_JSON);
    } catch (InvalidMediaTypeException e) {
      return false;
    }
  }

  private Mono<McpReply> handle(McpRequest request, byte[] body, Responder responder) {
    JsonNode message;
    try {
      message = json.readTree(body);
    } catch (JacksonException e) {
      return json(400, error(null, McpError.PARSE_ERROR, "Parse error: the body is not JSON", null));
    }
    if (message == null || message.isMissingNode() || message.isArray()) {
      return json(400, error(null, McpError.INVALID_REQUEST,
          "Invalid request: send one JSON-RPC message per POST (batches are not supported)", null));
    }
    JsonNode id = message.get("id");
    if (!message.isObject() || !"2.0".equals(message.path("jsonrpc").asString(null))) {
      return json(400, error(validId(id) ? id : null, McpError.INVALID_REQUEST,
          "Invalid request: not a JSON-RPC 2.0 message", null));
    }
    if (!message.has("method")) {
      // A response from the client: this gateway never sends requests, so there is nothing to match.
      return message.has("result") || message.has("error")
          ? Mono.just(McpReply.ACCEPTED)
          : json(400, error(null, McpError.INVALID_REQUEST, "Invalid request: no method", null));
    }
    if (id != null && !validId(id)) {
      return json(400, error(null, McpError.INVALID_REQUEST,
          "Invalid request: id must be a string or an integer", null));
    }
    JsonNode methodNode = message.get("method");
    JsonNode params = message.get("params");
    if (!methodNode.isString() || (params != null && !params.isObject() && !params.isNull())) {
      return json(400, error(id, McpError.INVALID_REQUEST,
          "Invalid request: method must be a string and params an object", null));
    }
    String method = methodNode.asString();
    ObjectNode p = params instanceof ObjectNode o ? o : json.createObjectNode();
    try {
      Mono<McpReply> answer = era(request, method, p) == Era.MODERN
          ? modern(request, id, method, p, responder)
          : legacy(request, id, method, p, responder);
      return answer.onErrorResume(McpError.class, e -> json(e.httpStatus, error(id, e.code, e.getMessage(), e.data)));
    } catch (McpError e) {
      return json(e.httpStatus, error(id, e.code, e.getMessage(), e.data));
    }
  }

  private Era era(McpRequest request, String method, ObjectNode params) {
    if (method.equals("initialize")) {
      return Era.LEGACY;
    }
    if (params.path("_meta").has(ProtocolVersions.META_PROTOCOL_VERSION)) {
      return Era.MODERN;
    }
    String header = request.header(VERSION_HEADER);
    return header != null && !ProtocolVersions.LEGACY.contains(header) ? Era.MODERN : Era.LEGACY;
  }

  // ---------------------------------------------------------------- modern (2026-07-28)

  private Mono<McpReply> modern(McpRequest request, JsonNode id, String method, ObjectNode params,
      Responder responder) {
    JsonNode meta = params.path("_meta");
    String header = request.header(VERSION_HEADER);
    JsonNode versionNode = meta.path(ProtocolVersions.META_PROTOCOL_VERSION);
    if (!versionNode.isMissingNode() && !versionNode.isString()) {
      throw new McpError(400, McpError.INVALID_PARAMS,
          "_meta[\"" + ProtocolVersions.META_PROTOCOL_VERSION + "\"] must be a string");
    }
    String version = versionNode.asString(null);
    if (header == null) {
      throw headerMismatch("the " + VERSION_HEADER + " header is missing; it must equal _meta[\""
          + ProtocolVersions.META_PROTOCOL_VERSION + "\"] ('" + version + "')");
    }
    if (version == null) {
      if (!ProtocolVersions.ALL.contains(header)) {
        throw unsupportedVersion(header);
      }
      throw headerMismatch(VERSION_HEADER + " is '" + header + "' but the request has no _meta[\""
          + ProtocolVersions.META_PROTOCOL_VERSION + "\"]");
    }
    if (!header.equals(version)) {
      throw headerMismatch(VERSION_HEADER + " header value '" + header + "' does not match _meta[\""
          + ProtocolVersions.META_PROTOCOL_VERSION + "\"] value '" + version + "'");
    }
    if (!ProtocolVersions.MODERN.contains(version)) {
      throw unsupportedVersion(version);
    }
    String methodHeader = request.header(METHOD_HEADER);
    if (methodHeader == null) {
      throw headerMismatch("the " + METHOD_HEADER + " header is missing; it must be '" + method + "'");
    }
    if (!methodHeader.equals(method)) {
      throw headerMismatch(METHOD_HEADER + " header value '" + methodHeader + "' does not match body method '"
          + method + "'");
    }
    if (method.equals("tools/call") || method.equals("prompts/get") || method.equals("resources/read")) {
      String bodyName = method.equals("resources/read") ? params.path("uri").asString(null) : params.path("name").asString(null);
      String nameHeader = decodeHeader(request.header(NAME_HEADER));
      if (nameHeader == null) {
        throw headerMismatch("the " + NAME_HEADER + " header is missing (or not decodable); it must be '" + bodyName + "'");
      }
      if (!nameHeader.equals(bodyName)) {
        throw headerMismatch(NAME_HEADER + " header value '" + nameHeader + "' does not match body value '"
            + bodyName + "'");
      }
    }
    JsonNode capabilities = meta.path(ProtocolVersions.META_CLIENT_CAPABILITIES);
    if (!capabilities.isMissingNode() && !capabilities.isObject()) {
      throw new McpError(400, McpError.INVALID_PARAMS,
          "_meta[\"" + ProtocolVersions.META_CLIENT_CAPABILITIES + "\"] must be an object");
    }
    if (id == null) {
      return Mono.just(McpReply.ACCEPTED); // this revision defines no client notifications over HTTP
    }
    Flux<RelayEvent> events = switch (method) {
      case "server/discover" -> Flux.just(RelayEvent.resultOf(discover()));
      case "tools/list" -> listTools(params);
      case "tools/call" -> callTool(params);
      default -> throw new McpError(404, McpError.METHOD_NOT_FOUND, "Method not found: " + method);
    };
    return responder.respond(this, id, params, events.map(e -> {
      if (!e.isResult() || e.result().has("resultType")) {
        return e;
      }
      ObjectNode copy = ((ObjectNode) e.result()).deepCopy();
      copy.put("resultType", "complete");
      return RelayEvent.resultOf(copy);
    }), null);
  }

  private JsonNode discover() {
    ObjectNode result = json.createObjectNode();
    var versions = result.putArray("supportedVersions");
    ProtocolVersions.ALL.forEach(versions::add);
    result.set("capabilities", capabilities());
    result.set("serverInfo", serverInfo());
    result.put("instructions", INSTRUCTIONS);
    return result;
  }

  private McpError headerMismatch(String detail) {
    return new McpError(400, McpError.HEADER_MISMATCH, "Header mismatch: " + detail);
  }

  private McpError unsupportedVersion(String requested) {
    ObjectNode data = json.createObjectNode();
    var supported = data.putArray("supported");
    ProtocolVersions.ALL.forEach(supported::add);
    data.put("requested", requested);
    String hint = ProtocolVersions.LEGACY.contains(requested)
        ? " ('" + requested + "' is a session revision: send initialize for it, or use "
            + ProtocolVersions.MODERN + " statelessly)"
        : "";
    return new McpError(400, McpError.UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version '" + requested + "'; supported: " + ProtocolVersions.ALL + hint, data);
  }

  /** An {@code Mcp-Name} value, decoded from the {@code =?base64?…?=} form; null when absent or invalid. */
  static String decodeHeader(String value) {
    if (value == null) {
      return null;
    }
    if (value.startsWith("=?base64?") && value.endsWith("?=") && value.length() >= 11) {
      try {
        return new String(Base64.getDecoder().decode(value.substring(9, value.length() - 2)), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return value;
  }

  // ---------------------------------------------------------------- legacy (2025-03-26 … 2025-11-25)

  private Mono<McpReply> legacy(McpRequest request, JsonNode id, String method, ObjectNode params,
      Responder responder) {
    if (method.equals("initialize")) {
      if (id == null) {
        throw new McpError(400, McpError.INVALID_REQUEST, "initialize is a request: it needs an id");
      }
      String requested = params.path("protocolVersion").asString("");
      String version = ProtocolVersions.LEGACY.contains(requested) ? requested : ProtocolVersions.LATEST_LEGACY;
      ObjectNode result = json.createObjectNode();
      result.put("protocolVersion", version);
      result.set("capabilities", capabilities());
      result.set("serverInfo", serverInfo());
      result.put("instructions", INSTRUCTIONS);
      return responder.respond(this, id, params, Flux.just(RelayEvent.resultOf(result)), sessions.issue(version));
    }
    String session = request.header(SESSION_HEADER);
    if (session == null) {
      throw new McpError(400, McpError.INVALID_REQUEST, "Bad Request: missing " + SESSION_HEADER
          + " header; send initialize first (or use protocol version " + ProtocolVersions.MODERN
          + " with _meta, which needs no session)");
    }
    String version = sessions.verify(session).orElseThrow(() -> new McpError(404, McpError.SESSION_NOT_FOUND,
        "Session not found: initialize a new session"));
    String header = request.header(VERSION_HEADER);
    if (header != null && !header.equals(version)) {
      throw new McpError(400, McpError.INVALID_REQUEST, "Bad Request: " + VERSION_HEADER + " is '" + header
          + "' but this session negotiated '" + version + "'");
    }
    if (id == null) {
      if (method.equals("notifications/cancelled")) {
        JsonNode requestId = params.get("requestId");
        if (requestId != null && validId(requestId)) {
          boolean cancelled = inFlight.cancel(session, requestId.toString());
          log.debug("notifications/cancelled for request {}: {}", requestId, cancelled ? "cancelled" : "not in flight here");
        }
      }
      return Mono.just(McpReply.ACCEPTED);
    }
    Flux<RelayEvent> events = switch (method) {
      case "ping" -> Flux.just(RelayEvent.resultOf(json.createObjectNode()));
      case "tools/list" -> listTools(params);
      case "tools/call" -> inFlight.track(session, id.toString(), callTool(params),
          () -> new McpError(200, McpError.REQUEST_CANCELLED, "Request cancelled by notifications/cancelled"));
      default -> Flux.error(new McpError(200, McpError.METHOD_NOT_FOUND, "Method not found: " + method));
    };
    return responder.respond(this, id, params, events, null);
  }

  // ---------------------------------------------------------------- methods

  private Flux<RelayEvent> listTools(ObjectNode params) {
    JsonNode cursor = params.get("cursor");
    if (cursor != null && !cursor.isNull() && !cursor.isString()) {
      return Flux.error(new McpError(200, McpError.INVALID_PARAMS, "Invalid cursor: must be a string"));
    }
    return Mono.defer(() -> relay.listPage(cursor == null || cursor.isNull() ? null : cursor.asString()))
        .onErrorMap(IllegalArgumentException.class, e -> new McpError(200, McpError.INVALID_PARAMS, e.getMessage()))
        .map(page -> RelayEvent.resultOf(page))
        .flux();
  }

  private Flux<RelayEvent> callTool(ObjectNode params) {
    JsonNode name = params.get("name");
    if (name == null || !name.isString() || name.asString().isEmpty()) {
      return Flux.error(new McpError(200, McpError.INVALID_PARAMS, "tools/call needs params.name, a tool name "
          + "from tools/list"));
    }
    JsonNode arguments = params.get("arguments");
    if (arguments != null && !arguments.isNull() && !arguments.isObject()) {
      return Flux.error(new McpError(200, McpError.INVALID_PARAMS, "tools/call params.arguments must be an object"));
    }
    return relay.callEvents(name.asString(), arguments, params.get("_meta"))
        .onErrorMap(RelayException.class, this::toMcpError);
  }

  /** Each relay failure as its documented JSON-RPC error, with {@code data: {tool, reason}}. */
  private McpError toMcpError(RelayException e) {
    ObjectNode data = json.createObjectNode();
    data.put("tool", e.tool());
    return switch (e.reason()) {
      case UNKNOWN_TOOL -> new McpError(200, McpError.INVALID_PARAMS, e.getMessage(), data.put("reason", "unknown_tool"));
      case SERVER_DISABLED -> new McpError(200, McpError.SERVER_DISABLED, e.getMessage(),
          data.put("reason", "server_disabled"));
      case CIRCUIT_OPEN -> new McpError(200, McpError.CIRCUIT_OPEN, e.getMessage(), data.put("reason", "circuit_open"));
      case OVERLOADED -> new McpError(200, McpError.UPSTREAM_OVERLOADED, e.getMessage(),
          data.put("reason", "upstream_overloaded"));
      case TIMEOUT -> new McpError(200, McpError.UPSTREAM_TIMEOUT, e.getMessage(), data.put("reason", "timeout"));
      case UPSTREAM_ERROR -> new McpError(200, McpError.INTERNAL_ERROR, e.getMessage(),
          data.put("reason", "upstream_error"));
      case UPSTREAM_RPC_ERROR -> {
        data.put("reason", "upstream_rpc_error");
        JsonNode upstreamData = e.upstreamError().get("data");
        if (upstreamData != null) {
          data.set("upstream", upstreamData);
        }
        yield new McpError(200, e.upstreamError().path("code").asInt(McpError.INTERNAL_ERROR), e.getMessage(), data);
      }
    };
  }

  private ObjectNode capabilities() {
    ObjectNode capabilities = json.createObjectNode();
    capabilities.putObject("tools").put("listChanged", false);
    return capabilities;
  }

  private ObjectNode serverInfo() {
    return json.createObjectNode().put("name", SERVER_NAME).put("title", "Orca MCP gateway").put("version", SERVER_VERSION);
  }

  // ---------------------------------------------------------------- responses

  /** How to answer a request, from what the client accepts. */
  private record Responder(boolean acceptsJson, boolean acceptsSse) {
    private static final Responder BOTH = new Responder(true, true);
    private static final Responder JSON = new Responder(true, false);

    /** From the {@code Accept} header (absent: JSON); the usual MCP client's value is not parsed again. */
    static Responder of(String accept) {
      if (accept == null || accept.isBlank()) {
        return JSON;
      }
      if (accept.equals("application/json, text/event-stream") || accept.equals("text/event-stream, application/json")) {
        return BOTH;
      }
      List<MediaType> types;
      try {
        types = MediaType.parseMediaTypes(accept);
      } catch (InvalidMediaTypeException e) {
        return new Responder(false, false);
      }
      return new Responder(types.stream().anyMatch(m -> m.isCompatibleWith(MediaType.APPLICATION_JSON)),
          types.stream().anyMatch(m -> m.equalsTypeAndSubtype(MediaType.TEXT_EVENT_STREAM)));
    }

    Mono<McpReply> respond(McpHandler h, JsonNode id, ObjectNode params, Flux<RelayEvent> events,
        String session) {
      JsonNode progressToken = params.path("_meta").get("progressToken");
      boolean sse = acceptsSse && (!acceptsJson || progressToken != null);
      if (!sse) {
        // An error whose status is not 200 (404 unknown method, 400 …) keeps its status.
        return events.filter(RelayEvent::isResult).next()
            .map(r -> h.reply(200, h.response(id, r.result()), session))
            .onErrorResume(McpError.class, e -> Mono.just(h.reply(e.httpStatus,
                h.error(id, e.code, e.getMessage(), e.data), session)));
      }
      Flux<ObjectNode> messages = events
          .filter(e -> e.isResult() || progressToken != null)
          .map(e -> e.isResult() ? h.response(id, e.result()) : h.notification("notifications/progress",
              withToken(h, e.progress(), progressToken)))
          .onErrorResume(McpError.class, e -> Mono.just(h.error(id, e.code, e.getMessage(), e.data)));
      if (progressToken != null) {
        messages = Flux.concat(Mono.just(h.progress(progressToken)), messages.filter(new Increasing()));
      }
      return Mono.just(McpReply.stream(messages.map(h.json::writeValueAsString), session));
    }

    /** The upstream's progress params, under the client's own token. */
    private static ObjectNode withToken(McpHandler h, JsonNode progress, JsonNode token) {
      ObjectNode p = progress.isObject() ? ((ObjectNode) progress).deepCopy() : h.json.createObjectNode();
      p.set("progressToken", token);
      return p;
    }
  }

  /**
   * Lets a relayed progress notification through only if its progress exceeds the last one sent (MCP
   * requires it to increase; the gateway's own opening notification says 0).
   */
  private static final class Increasing implements java.util.function.Predicate<ObjectNode> {
    private double last = 0;

    @Override
    public boolean test(ObjectNode message) {
      if (!"notifications/progress".equals(message.path("method").asString(null))) {
        return true;
      }
      double progress = message.path("params").path("progress").asDouble(-1);
      if (progress <= last) {
        return false;
      }
      last = progress;
      return true;
    }
  }

  private ObjectNode notification(String method, JsonNode params) {
    ObjectNode n = json.createObjectNode();
    n.put("jsonrpc", "2.0");
    n.put("method", method);
    n.set("params", params);
    return n;
  }

  private ObjectNode progress(JsonNode token) {
    ObjectNode p = json.createObjectNode();
    p.set("progressToken", token);
    p.put("progress", 0);
    p.put("message", "started");
    return notification("notifications/progress", p);
  }

  private ObjectNode response(JsonNode id, JsonNode result) {
    ObjectNode r = json.createObjectNode();
    r.put("jsonrpc", "2.0");
    r.set("id", id);
    r.set("result", result);
    return r;
  }

  private ObjectNode error(JsonNode id, int code, String message, JsonNode data) {
    ObjectNode r = json.createObjectNode();
    r.put("jsonrpc", "2.0");
    if (id != null) {
      r.set("id", id);
    }
    ObjectNode e = r.putObject("error");
    e.put("code", code);
    e.put("message", message);
    if (data != null) {
      e.set("data", data);
    }
    return r;
  }

  private Mono<McpReply> json(int status, ObjectNode body) {
    return Mono.just(reply(status, body, null));
  }

  private McpReply reply(int status, ObjectNode body, String session) {
    return McpReply.json(status, json.writeValueAsBytes(body), session);
  }

  private static boolean validId(JsonNode id) {
    return id != null && (id.isString() || id.isIntegralNumber());
  }
}

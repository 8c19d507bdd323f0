package dev.orca.orchestrator.testmcp;

import dev.orca.orchestrator.testmcp.LocalMcpServer.HttpFailure;
import dev.orca.orchestrator.testmcp.LocalMcpServer.RpcFailure;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Ready-made tool handlers and MCP results for {@link LocalMcpServer}. */
public final class ToolScript {
  private static final JsonMapper json = JsonMapper.builder().build();

  private ToolScript() {}

  /** An MCP result with one text block. */
  public static ObjectNode text(String text) {
    ObjectNode result = json.createObjectNode();
    result.putArray("content").addObject().put("type", "text").put("text", text);
    return result;
  }

  /** An MCP result with {@code structuredContent} (and its JSON as the text block, as the spec suggests). */
  public static ObjectNode structured(JsonNode content) {
    ObjectNode result = text(json.writeValueAsString(content));
    result.set("structuredContent", content);
    return result;
  }

  /** A tool-level failure: one text block and {@code isError: true}. */
  public static ObjectNode toolError(String text) {
    ObjectNode result = text(text);
    result.put("isError", true);
    return result;
  }

  /** Parses JSON, for results written inline. */
  public static JsonNode parse(String text) {
    return json.readTree(text);
  }

  /** Always answers {@code result}. */
  public static Function<JsonNode, Mono<JsonNode>> returns(JsonNode result) {
    return args -> Mono.just(result);
  }

  /** Answers {@code structuredContent} = the call's arguments. */
  public static Function<JsonNode, Mono<JsonNode>> echo() {
    return args -> Mono.just(structured(args));
  }

  /** Answers {@code result} after {@code delay}. */
  public static Function<JsonNode, Mono<JsonNode>> delayed(Duration delay, JsonNode result) {
    return args -> Mono.delay(delay).thenReturn(result);
  }

  /** Never answers (until the client goes away). */
  public static Function<JsonNode, Mono<JsonNode>> never() {
    return args -> Mono.never();
  }

  /** Answers HTTP {@code status} every time. */
  public static Function<JsonNode, Mono<JsonNode>> httpStatus(int status) {
    return args -> Mono.error(new HttpFailure(status));
  }

  /** Answers a JSON-RPC error every time. */
  public static Function<JsonNode, Mono<JsonNode>> rpcError(int code, String message) {
    return args -> Mono.error(new RpcFailure(code, message));
  }

  /** Answers HTTP 503 for the first {@code n} calls, then {@code result}. */
  public static Function<JsonNode, Mono<JsonNode>> failTimesThen(int n, JsonNode result) {
    return failTimesThen(n, 503, result);
  }

  /** Answers HTTP {@code status} for the first {@code n} calls, then {@code result}. */
  public static Function<JsonNode, Mono<JsonNode>> failTimesThen(int n, int status, JsonNode result) {
    AtomicInteger calls = new AtomicInteger();
    return args -> calls.incrementAndGet() <= n ? Mono.error(new HttpFailure(status)) : Mono.just(result);
  }
}

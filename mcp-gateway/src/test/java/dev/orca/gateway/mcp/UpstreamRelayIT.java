package dev.orca.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.gateway.mcp.McpClient.Answer;
import dev.orca.gateway.testmcp.ModernMcpServer;
import dev.orca.gateway.testmcp.SdkMcpServer;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServerFeatures.AsyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The relay over real upstream MCP servers started here: {@code sdk}, a legacy-era server on the official
 * MCP Java SDK (bearer secret from the secrets directory), and {@code modern}, a 2026-07-28 server (a
 * secret in a named header), both registered through {@code /api/v1/mcp-servers}; clients of both eras
 * (the SDK's own client, and raw modern requests) against {@code /mcp}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class UpstreamRelayIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("gateway_upstreams"));
  static final String MODERN = "2026-07-28";
  static final String SDK_TOKEN = "sdk-secret-4f1c9a";
  static final String MODERN_KEY = "modern-key-7d2e0b";
  static final AtomicInteger sdkSlowCancelled = new AtomicInteger();
  static final Path secrets = secretsDir();
  static final SdkMcpServer sdk = SdkMcpServer.start(sdkTools()).requireToken(SDK_TOKEN);
  static final ModernMcpServer modern = ModernMcpServer.start().requireHeader("X-Api-Key", MODERN_KEY);

  static {
    modern.pageSize(2)
        .tool("alpha", args -> Mono.just(text("alpha")))
        .tool("beta", args -> Mono.just(text("beta")))
        .tool("gamma", args -> Mono.just(text("gamma")))
        .tool("rich", args -> Mono.just(McpClient.json.readTree("""
            {"content":[{"type":"text","text":"t"},{"type":"audio","data":"aGk=","mimeType":"audio/wav"},
              {"type":"resource","resource":{"uri":"file:///r","text":"r","mimeType":"text/plain"}}],
             "structuredContent":{"n":[1,2,{"x":null}]},"isError":false,"_meta":{"com.example/trace":"m1"}}""")))
        .tool("region", (ObjectNode) McpClient.json.readTree("""
            {"inputSchema":{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}}}}"""),
            args -> Mono.just(text("ok")), false)
        .tool("steps", null, args -> Mono.just(text("done")), true)
        .tool("delta", (ObjectNode) McpClient.json.readTree("""
            {"description":"the fourth","_meta":{"dev.orca/capabilities":["text.greek","not a name"]}}"""),
            args -> Mono.just(text("delta")), false)
        .tool("slow", args -> Mono.delay(Duration.ofSeconds(30)).map(x -> text("late")));
  }

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    registry.add("orca.api.tokens", () -> McpClient.TOKEN);
    registry.add("orca.gateway.upstream.allowed-hosts", () -> "127.0.0.1,localhost,169.254.169.254,10.1.2.3");
    registry.add("orca.gateway.upstream.allowed-networks", () -> "127.0.0.0/8");
    registry.add("orca.gateway.secrets-dir", secrets::toString);
    registry.add("orca.gateway.tools-page-size", () -> "3");
    registry.add("orca.gateway.upstream.health.interval", () -> "300ms");
    registry.add("orca.gateway.upstream.health.failure-threshold", () -> "2");
    registry.add("orca.gateway.upstream.circuit-breaker.window", () -> "4");
    registry.add("orca.gateway.upstream.circuit-breaker.minimum-calls", () -> "2");
    registry.add("orca.gateway.upstream.circuit-breaker.open-for", () -> "2s");
    registry.add("orca.gateway.upstream.retries", () -> "1");
    registry.add("orca.gateway.upstream.retry-backoff", () -> "20ms");
  }

  @LocalServerPort int port;
  @Autowired MeterRegistry meters;
  McpClient mcp;
  WebClient api;

  @BeforeEach
  void register() {
    mcp = new McpClient(port);
    api = WebClient.builder().baseUrl("http://localhost:" + port + "/api/v1")
        .defaultHeaders(h -> h.setBearerAuth(McpClient.TOKEN)).build();
    put("sdk", sdk.url(), """
        {"auth":{"type":"bearer","secret_name":"sdk-token"},"timeout_ms":20000}""");
    put("modern", modern.url(), """
        {"auth":{"type":"header","header":"X-Api-Key","secret_name":"modern-key"},"timeout_ms":20000}""");
  }

  @AfterAll
  static void stop() {
    sdk.close();
    modern.close();
  }

  // ---------------------------------------------------------------- listing and calls

  @Test
  void legacySdkClientListsEveryUpstreamAcrossPagesAndCallsBoth() {
    try (McpSyncClient client = sdkClient()) {
      client.initialize();
      List<String> names = new ArrayList<>();
      Set<String> cursors = new HashSet<>();
      McpSchema.ListToolsResult page = client.listTools(null); // one page (listTools() would follow them all)
      int pages = 1;
      while (true) {
        page.tools().forEach(t -> names.add(t.name()));
        if (page.nextCursor() == null) {
          break;
        }
        assertThat(cursors.add(page.nextCursor())).isTrue();
        assertThat(page.tools()).hasSize(3); // the gateway's page size
        page = client.listTools(page.nextCursor());
        pages++;
      }
      assertThat(names).doesNotHaveDuplicates()
          .contains("builtin.echo", "builtin.sleep", "sdk.add", "sdk.rich", "sdk.progress",
              "modern.alpha", "modern.beta", "modern.gamma", "modern.rich", "modern.steps");
      assertThat(pages).isGreaterThan(3);

      McpSchema.CallToolResult sum = client.callTool(new McpSchema.CallToolRequest("sdk.add", Map.of("a", 2, "b", 3)));
      assertThat(((McpSchema.TextContent) sum.content().get(0)).text()).isEqualTo("5");
      McpSchema.CallToolResult alpha = client.callTool(new McpSchema.CallToolRequest("modern.alpha", Map.of()));
      assertThat(((McpSchema.TextContent) alpha.content().get(0)).text()).isEqualTo("alpha");
    }
  }

  @Test
  void resultsArePassedThroughWhole() {
    String session = mcp.initialize("2025-11-25");
    Answer rich = mcp.post(mcp.request("tools/call", McpClient.callParams("sdk.rich", McpClient.json.createObjectNode())),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25"));
    JsonNode result = single(rich).path("result");
    assertThat(result.path("content")).hasSize(4);
    assertThat(result.path("content").get(1).path("type").asString()).isEqualTo("image");
    assertThat(result.path("content").get(1).path("data").asString()).isEqualTo("aGk=");
    assertThat(result.path("content").get(2).path("type").asString()).isEqualTo("resource_link");
    assertThat(result.path("content").get(3).path("resource").path("uri").asString()).isEqualTo("file:///doc");
    assertThat(result.path("structuredContent").path("nested").path("list").get(1).asInt()).isEqualTo(2);
    assertThat(result.path("isError").asBoolean()).isFalse();
    assertThat(result.path("_meta").path("com.example/trace").asString()).isEqualTo("sdk-1");

    ObjectNode params = McpClient.modernParams(McpClient.callParams("modern.rich", McpClient.json.createObjectNode()), MODERN);
    Answer modernRich = mcp.post(mcp.request("tools/call", params), modernHeaders("tools/call", "modern.rich"));
    JsonNode expected = McpClient.json.readTree("""
        {"content":[{"type":"text","text":"t"},{"type":"audio","data":"aGk=","mimeType":"audio/wav"},
          {"type":"resource","resource":{"uri":"file:///r","text":"r","mimeType":"text/plain"}}],
         "structuredContent":{"n":[1,2,{"x":null}]},"isError":false,"_meta":{"com.example/trace":"m1"},
         "resultType":"complete"}""");
    assertThat(single(modernRich).path("result")).isEqualTo(expected);

    Answer toolError = mcp.post(mcp.request("tools/call", McpClient.callParams("sdk.fails", McpClient.json.createObjectNode())),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25"));
    assertThat(single(toolError).path("result").path("isError").asBoolean()).isTrue();
  }

  @Test
  void modernUpstreamGetsTheModernHeadersAndTheSecret() {
    ObjectNode args = McpClient.json.createObjectNode().put("region", "eu-west-1");
    ObjectNode params = McpClient.modernParams(McpClient.callParams("modern.region", args), MODERN);
    assertThat(single(mcp.post(mcp.request("tools/call", params), modernHeaders("tools/call", "modern.region")))
        .path("result").path("content").get(0).path("text").asString()).isEqualTo("ok");
    Map<String, String> seen = modern.headers().stream() // health checks (server/discover) come in between
        .filter(h -> "region".equals(h.get("mcp-name"))).reduce((first, second) -> second).orElseThrow();
    assertThat(seen).containsEntry("mcp-protocol-version", MODERN).containsEntry("mcp-method", "tools/call")
        .containsEntry("mcp-name", "region").containsEntry("mcp-param-region", "eu-west-1")
        .containsEntry("x-api-key", MODERN_KEY);
    JsonNode call = modern.calls().stream().filter(c -> c.path("name").asString().equals("region"))
        .reduce((first, second) -> second).orElseThrow();
    assertThat(call.path("_meta").path("io.modelcontextprotocol/protocolVersion").asString()).isEqualTo(MODERN);
  }

  @Test
  void upstreamProgressIsRelayed() {
    String session = mcp.initialize("2025-11-25");
    ObjectNode params = McpClient.callParams("sdk.progress", McpClient.json.createObjectNode());
    params.putObject("_meta").put("progressToken", "tok-7");
    Answer answer = mcp.post(mcp.request("tools/call", params),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25"));
    List<JsonNode> events = McpEndpointIT.events(answer.body());
    List<Double> progress = events.stream().filter(e -> e.path("method").asString("").equals("notifications/progress"))
        .peek(e -> assertThat(e.path("params").path("progressToken").asString()).isEqualTo("tok-7"))
        .map(e -> e.path("params").path("progress").asDouble()).toList();
    assertThat(progress).containsExactly(0.0, 1.0, 2.0);
    assertThat(events.get(events.size() - 1).path("result").path("content").get(0).path("text").asString())
        .isEqualTo("progressed");

    ObjectNode modernParams = McpClient.modernParams(McpClient.callParams("modern.steps", McpClient.json.createObjectNode()), MODERN);
    ((ObjectNode) modernParams.get("_meta")).put("progressToken", 42);
    Answer modernAnswer = mcp.post(mcp.request("tools/call", modernParams), modernHeaders("tools/call", "modern.steps"));
    List<JsonNode> modernEvents = McpEndpointIT.events(modernAnswer.body());
    assertThat(modernEvents.stream().filter(e -> e.has("method")).map(e -> e.path("params").path("progress").asInt()))
        .containsExactly(0, 1, 2);
  }

  @Test
  void theCatalogueListsRegisteredToolsByServerAndCapability() {
    await().atMost(Duration.ofSeconds(30)).until(() -> catalogue("?server=modern").toString().contains("modern.delta"));
    JsonNode greek = catalogue("?server=modern&capability=text.greek");
    assertThat(greek).hasSize(1);
    assertThat(greek.get(0).path("name").asString()).isEqualTo("modern.delta");
    assertThat(greek.get(0).path("tool").asString()).isEqualTo("delta");
    assertThat(greek.get(0).path("description").asString()).isEqualTo("the fourth");
    assertThat(greek.get(0).path("capabilities").toString()).isEqualTo("[\"text.greek\"]");
    assertThat(catalogue("?server=sdk").toString()).contains("sdk.add", "sdk.rich", "\"idempotentHint\":true");
    assertThat(catalogue("?server=builtin").toString()).contains("builtin.echo");
    assertThat(catalogue("?capability=no.such")).isEmpty();
  }

  @Test
  void aToolAddedUpstreamIsListedOnceTheUpstreamAnnouncesTheChange() {
    await().atMost(Duration.ofSeconds(30)).until(() -> allToolNames().contains("sdk.add")); // the list is cached now
    assertThat(allToolNames()).doesNotContain("sdk.late");
    sdk.addTool(tool("late", null, (exchange, request) ->
        Mono.just(McpSchema.CallToolResult.builder().addTextContent("late").build())));
    // the cache lives 5 minutes; only notifications/tools/list_changed (on the SDK's GET stream) drops it sooner
    await().atMost(Duration.ofSeconds(30)).until(() -> allToolNames().contains("sdk.late"));
  }

  // ---------------------------------------------------------------- failures

  @Test
  void anUpstreamTimeoutIsItsOwnErrorAndCancelsTheUpstreamCall() {
    put("hasty", modern.url(), """
        {"auth":{"type":"header","header":"X-Api-Key","secret_name":"modern-key"},"timeout_ms":500}""");
    int cancelledBefore = modern.cancelledCalls();
    ObjectNode params = McpClient.modernParams(McpClient.callParams("hasty.slow", McpClient.json.createObjectNode()), MODERN);
    JsonNode error = single(mcp.post(mcp.request("tools/call", params), modernHeaders("tools/call", "hasty.slow"))).path("error");
    assertThat(error.path("code").asInt()).isEqualTo(-32013);
    assertThat(error.path("data").path("reason").asString()).isEqualTo("timeout");
    assertThat(error.path("message").asString()).contains("500 ms");
    await().atMost(Duration.ofSeconds(30)).until(() -> modern.cancelledCalls() > cancelledBefore);
  }

  @Test
  void cancellingReachesTheUpstreamInBothEras() {
    // legacy: the client's notifications/cancelled becomes one to the SDK server
    String session = mcp.initialize("2025-11-25");
    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");
    ObjectNode call = mcp.request("tools/call", McpClient.callParams("sdk.slow", McpClient.json.createObjectNode()));
    int sdkBodies = sdk.bodies().size();
    Mono<Answer> pending = mcp.send(call, headers, true, "application/json, text/event-stream").cache();
    Disposable running = pending.subscribe();
    await().atMost(Duration.ofSeconds(30)).until(() -> sdk.bodies().stream().skip(sdkBodies)
        .anyMatch(b -> b.contains("\"slow\"")));
    ObjectNode cancel = McpClient.json.createObjectNode().set("requestId", call.get("id"));
    assertThat(mcp.post(McpClient.notification("notifications/cancelled", cancel), headers).status()).isEqualTo(202);
    assertThat(single(pending.block(Duration.ofSeconds(30))).path("error").path("code").asInt()).isEqualTo(-32800);
    await().atMost(Duration.ofSeconds(30)).until(() -> sdk.bodies().stream().skip(sdkBodies)
        .anyMatch(b -> b.contains("notifications/cancelled")));
    running.dispose();

    // modern: a client that goes away closes the upstream's stream
    int cancelledBefore = modern.cancelledCalls();
    int callsBefore = modern.calls().size();
    ObjectNode params = McpClient.modernParams(McpClient.callParams("modern.slow", McpClient.json.createObjectNode()), MODERN);
    Disposable gone = mcp.send(mcp.request("tools/call", params), modernHeaders("tools/call", "modern.slow"), true,
        "application/json, text/event-stream").subscribe();
    await().atMost(Duration.ofSeconds(30)).until(() -> modern.calls().size() > callsBefore);
    gone.dispose();
    await().atMost(Duration.ofSeconds(30)).until(() -> modern.cancelledCalls() > cancelledBefore);
  }

  @Test
  void aDownUpstreamOpensItsCircuitIsMarkedDownAndRecovers() {
    try (ModernMcpServer flaky = ModernMcpServer.start()) {
      flaky.tool("ping", args -> Mono.just(text("pong")));
      put("flaky", flaky.url(), "{}");
      assertThat(callFlaky().path("result").path("content").get(0).path("text").asString()).isEqualTo("pong");
      await().atMost(Duration.ofSeconds(30)).until(() -> "up".equals(server("flaky").path("health_status").asString(null)));
      assertThat(upGauge("flaky")).isEqualTo(1.0);
      String definedAt = server("flaky").path("updated_at").asString();

      flaky.stop();
      JsonNode refusedCall = callFlaky();
      JsonNode refused = refusedCall.path("error");
      assertThat(refused.isObject()).as(refusedCall.toString()).isTrue();
      assertThat(refused.path("code").asInt()).isEqualTo(-32603);
      assertThat(refused.path("data").path("reason").asString()).isEqualTo("upstream_error");
      callFlaky();
      JsonNode open = callFlaky().path("error");
      assertThat(open.path("code").asInt()).isEqualTo(-32011);
      assertThat(open.path("data").path("reason").asString()).isEqualTo("circuit_open");
      assertThat(open.path("message").asString()).contains("retry later");
      await().atMost(Duration.ofSeconds(30)).until(() -> "down".equals(server("flaky").path("health_status").asString(null)));
      assertThat(server("flaky").path("last_health_check").asString(null)).isNotNull();
      assertThat(upGauge("flaky")).isEqualTo(0.0);
      assertThat(allToolNames()).noneMatch(n -> n.startsWith("flaky.")).contains("modern.alpha");

      flaky.restart();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
          .until(() -> callFlaky().path("result").path("content").path(0).path("text").asString("").equals("pong"));
      await().atMost(Duration.ofSeconds(30)).until(() -> "up".equals(server("flaky").path("health_status").asString(null)));
      assertThat(upGauge("flaky")).isEqualTo(1.0);
      assertThat(allToolNames()).contains("flaky.ping");
      assertThat(server("flaky").path("updated_at").asString()).isEqualTo(definedAt); // health writes are not edits
    } finally {
      api.delete().uri("/mcp-servers/flaky").retrieve().toBodilessEntity().block(Duration.ofSeconds(30));
    }
  }

  @Test
  void onlyIdempotentToolsAreRetriedAfterTheRequestWasSent() {
    try (ModernMcpServer shaky = ModernMcpServer.start()) {
      shaky.tool("lookup", (ObjectNode) McpClient.json.readTree("""
          {"annotations":{"idempotentHint":true,"readOnlyHint":true}}"""), args -> Mono.just(text("found")), false)
          .tool("charge", args -> Mono.just(text("charged")));
      put("shaky", shaky.url(), "{}");
      await().atMost(Duration.ofSeconds(30)).until(() -> allToolNames().contains("shaky.lookup"));

      shaky.failNext(1);
      assertThat(legacyCall("shaky.lookup").path("result").path("content").get(0).path("text").asString()).isEqualTo("found");
      assertThat(shaky.calls()).hasSize(2); // the 503, then the retry

      shaky.failNext(1);
      JsonNode failed = legacyCall("shaky.charge").path("error");
      assertThat(failed.path("data").path("reason").asString()).isEqualTo("upstream_error");
      assertThat(failed.path("message").asString()).contains("HTTP 503");
      assertThat(shaky.calls()).hasSize(3); // not repeated: it may have charged
    } finally {
      api.delete().uri("/mcp-servers/shaky").retrieve().toBodilessEntity().block(Duration.ofSeconds(30));
    }
  }

  @Test
  void disabledUnknownAndOverloadedAreDistinctErrors() {
    put("resting", modern.url(), "{}", false);
    JsonNode disabled = legacyCall("resting.alpha").path("error");
    assertThat(disabled.path("code").asInt()).isEqualTo(-32010);
    assertThat(disabled.path("data").path("reason").asString()).isEqualTo("server_disabled");
    assertThat(disabled.path("message").asString()).contains("PUT /api/v1/mcp-servers/resting");

    JsonNode unknown = legacyCall("modern.nope").path("error");
    assertThat(unknown.path("code").asInt()).isEqualTo(-32602);
    assertThat(unknown.path("data").path("reason").asString()).isEqualTo("unknown_tool");

    put("narrow", modern.url(), """
        {"auth":{"type":"header","header":"X-Api-Key","secret_name":"modern-key"},"max_concurrent_calls":1}""");
    int callsBefore = modern.calls().size();
    ObjectNode params = McpClient.modernParams(McpClient.callParams("narrow.slow", McpClient.json.createObjectNode()), MODERN);
    Disposable first = mcp.send(mcp.request("tools/call", params), modernHeaders("tools/call", "narrow.slow"), true,
        "application/json").subscribe();
    try {
      await().atMost(Duration.ofSeconds(30)).until(() -> modern.calls().size() > callsBefore);
      JsonNode overloaded = legacyCall("narrow.alpha").path("error");
      assertThat(overloaded.path("code").asInt()).isEqualTo(-32012);
      assertThat(overloaded.path("data").path("reason").asString()).isEqualTo("upstream_overloaded");
    } finally {
      first.dispose();
    }
  }

  // ---------------------------------------------------------------- secrets and SSRF

  @Test
  void secretsAreResolvedButNeverLoggedStoredOrReturned(CapturedOutput output) {
    assertThat(legacyCall("sdk.add", McpClient.json.createObjectNode().put("a", 1).put("b", 1))
        .path("result").path("content").get(0).path("text").asString()).isEqualTo("2");
    assertThat(legacyCall("modern.alpha").path("result").path("content").get(0).path("text").asString()).isEqualTo("alpha");

    put("nosecret", modern.url(), """
        {"auth":{"type":"bearer","secret_name":"not-there"}}""");
    JsonNode misconfigured = legacyCall("nosecret.alpha").path("error");
    assertThat(misconfigured.path("data").path("reason").asString()).isEqualTo("upstream_error");
    assertThat(misconfigured.path("message").asString()).contains("ORCA_SECRET_NOT_THERE");

    String listing = api.get().uri("/mcp-servers").retrieve().bodyToMono(String.class).block(Duration.ofSeconds(30));
    assertThat(listing).contains("sdk-token").doesNotContain(SDK_TOKEN).doesNotContain(MODERN_KEY);
    String literal = """
        {"name":"leaky","endpoint":"%s","config":{"auth":{"type":"bearer","secret_name":"x","token":"%s"},
         "headers":{"Authorization":"Bearer %s"}}}""".formatted(modern.url(), SDK_TOKEN, SDK_TOKEN);
    Answer refused = apiPost(literal);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body()).contains("config.auth.token").contains("config.headers.Authorization")
        .doesNotContain(SDK_TOKEN);
    assertThat(output.getAll()).doesNotContain(SDK_TOKEN).doesNotContain(MODERN_KEY);
  }

  @Test
  void theRegistryRefusesInternalAndUnlistedAddresses() {
    for (String endpoint : List.of("http://169.254.169.254/latest/meta-data", "http://10.1.2.3:8080/mcp")) {
      Answer refused = apiPost("{\"name\":\"internal\",\"endpoint\":\"" + endpoint + "\"}");
      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.json().path("errors").toString()).contains("internal address")
          .contains("orca.gateway.upstream.allowed-networks");
    }
    Answer unlisted = apiPost("{\"name\":\"elsewhere\",\"endpoint\":\"http://metadata.internal.example/mcp\"}");
    assertThat(unlisted.status()).isEqualTo(400);
    assertThat(unlisted.json().path("errors").toString()).contains("allowed-hosts");
    Answer credentials = apiPost("{\"name\":\"creds\",\"endpoint\":\"http://user:pw@127.0.0.1:1/mcp\"}");
    assertThat(credentials.status()).isEqualTo(400);
    assertThat(api.get().uri("/mcp-servers/internal").exchangeToMono(r -> Mono.just(r.statusCode().value()))
        .block(Duration.ofSeconds(30))).isEqualTo(404);
  }

  // ---------------------------------------------------------------- helpers

  JsonNode callFlaky() {
    return legacyCall("flaky.ping");
  }

  /** A tools/call on a fresh legacy session, as one JSON-RPC response. */
  JsonNode legacyCall(String tool) {
    return legacyCall(tool, McpClient.json.createObjectNode());
  }

  JsonNode legacyCall(String tool, ObjectNode arguments) {
    String session = mcp.initialize("2025-11-25");
    return single(mcp.post(mcp.request("tools/call", McpClient.callParams(tool, arguments)),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25")));
  }

  /** Every tool name, following the gateway's cursor (modern client). */
  List<String> allToolNames() {
    List<String> names = new ArrayList<>();
    String cursor = null;
    do {
      ObjectNode extra = McpClient.json.createObjectNode();
      if (cursor != null) {
        extra.put("cursor", cursor);
      }
      JsonNode result = single(mcp.post(mcp.request("tools/list", McpClient.modernParams(extra, MODERN)),
          modernHeaders("tools/list", null))).path("result");
      result.path("tools").forEach(t -> names.add(t.path("name").asString()));
      cursor = result.path("nextCursor").asString(null);
    } while (cursor != null);
    return names;
  }

  JsonNode catalogue(String query) {
    return McpClient.json.readTree(api.get().uri("/tools" + query).retrieve().bodyToMono(String.class)
        .block(Duration.ofSeconds(30))).path("items");
  }

  JsonNode server(String name) {
    return McpClient.json.readTree(api.get().uri("/mcp-servers/{name}", name).retrieve().bodyToMono(String.class)
        .block(Duration.ofSeconds(30)));
  }

  double upGauge(String server) {
    return meters.get("orca.gateway.upstream.up").tag("server", server).gauge().value();
  }

  Answer apiPost(String body) {
    return api.post().uri("/mcp-servers").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchangeToMono(r -> r.bodyToMono(String.class).defaultIfEmpty("")
            .map(b -> new Answer(r.statusCode().value(), r.headers().asHttpHeaders(), b)))
        .block(Duration.ofSeconds(30));
  }

  static ObjectNode text(String text) {
    ObjectNode r = McpClient.json.createObjectNode();
    r.putArray("content").addObject().put("type", "text").put("text", text);
    return r;
  }

  static List<AsyncToolSpecification> sdkTools() {
    Map<String, Object> schema = Map.of("type", "object");
    return List.of(
        tool("add", null, (exchange, request) -> {
          int sum = ((Number) request.arguments().get("a")).intValue() + ((Number) request.arguments().get("b")).intValue();
          return Mono.just(McpSchema.CallToolResult.builder().addTextContent(String.valueOf(sum))
              .structuredContent(Map.of("sum", sum)).build());
        }),
        tool("rich", null, (exchange, request) -> Mono.just(McpSchema.CallToolResult.builder()
            .addTextContent("hello")
            .addContent(new McpSchema.ImageContent(null, "aGk=", "image/png"))
            .addContent(McpSchema.ResourceLink.builder().uri("file:///link").name("link").build())
            .addContent(new McpSchema.EmbeddedResource(null,
                new McpSchema.TextResourceContents("file:///doc", "text/plain", "doc")))
            .structuredContent(Map.of("nested", Map.of("list", List.of(1, 2, 3))))
            .isError(false)
            .meta(Map.of("com.example/trace", "sdk-1"))
            .build())),
        tool("fails", null, (exchange, request) -> Mono.just(McpSchema.CallToolResult.builder()
            .addTextContent("it went wrong").isError(true).build())),
        tool("progress", null, (exchange, request) -> {
          Object token = request.meta() == null ? null : request.meta().get("progressToken");
          Mono<Void> notes = token == null ? Mono.empty()
              : exchange.progressNotification(new McpSchema.ProgressNotification(token, 1.0, 2.0, "half"))
                  .then(exchange.progressNotification(new McpSchema.ProgressNotification(token, 2.0, 2.0, "all")));
          return notes.then(Mono.just(McpSchema.CallToolResult.builder().addTextContent("progressed").build()));
        }),
        tool("slow", null, (exchange, request) -> Mono.delay(Duration.ofSeconds(30))
            .map(x -> McpSchema.CallToolResult.builder().addTextContent("late").build())
            .doOnCancel(sdkSlowCancelled::incrementAndGet)),
        tool("idem", new McpSchema.ToolAnnotations(null, true, false, true, false, null),
            (exchange, request) -> Mono.just(McpSchema.CallToolResult.builder().addTextContent("same").build())));
  }

  static AsyncToolSpecification tool(String name, McpSchema.ToolAnnotations annotations,
      java.util.function.BiFunction<io.modelcontextprotocol.server.McpAsyncServerExchange, McpSchema.CallToolRequest,
          Mono<McpSchema.CallToolResult>> handler) {
    McpSchema.Tool.Builder t = McpSchema.Tool.builder().name(name).description("test tool " + name)
        .inputSchema(Map.of("type", "object"));
    if (annotations != null) {
      t.annotations(annotations);
    }
    return AsyncToolSpecification.builder().tool(t.build()).callHandler(handler).build();
  }

  McpSyncClient sdkClient() {
    HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
        .endpoint("/mcp")
        .httpRequestCustomizer((builder, method, uri, body, context) ->
            builder.header("Authorization", "Bearer " + McpClient.TOKEN))
        .build();
    return io.modelcontextprotocol.client.McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
  }

  static Map<String, String> modernHeaders(String method, String name) {
    return name == null
        ? Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", method)
        : Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", method, "Mcp-Name", name);
  }

  /** The JSON-RPC response of a JSON or event-stream answer. */
  static JsonNode single(Answer answer) {
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    if (answer.contentType().startsWith("text/event-stream")) {
      List<JsonNode> events = McpEndpointIT.events(answer.body());
      return events.get(events.size() - 1);
    }
    return answer.json();
  }

  /** Creates or replaces a server definition; waits for the registry to take it in (the API does). */
  void put(String name, String endpoint, String config) {
    put(name, endpoint, config, true);
  }

  void put(String name, String endpoint, String config, boolean enabled) {
    String body = "{\"name\":\"" + name + "\",\"endpoint\":\"" + endpoint + "\",\"enabled\":" + enabled
        + ",\"config\":" + config + "}";
    int status = api.method(HttpMethod.PUT).uri("/mcp-servers/{name}", name).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body).exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value())).block(Duration.ofSeconds(30));
    if (status == 404) {
      status = api.post().uri("/mcp-servers").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
          .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value())).block(Duration.ofSeconds(30));
    }
    assertThat(status).isBetween(200, 201);
  }

  static Path secretsDir() {
    try {
      Path dir = Files.createTempDirectory("orca-secrets");
      Files.writeString(dir.resolve("sdk-token"), SDK_TOKEN + "\n");
      Files.writeString(dir.resolve("modern-key"), MODERN_KEY);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

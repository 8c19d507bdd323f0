package dev.orca.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.gateway.mcp.McpClient.Answer;
import dev.orca.gateway.relay.RelayException;
import dev.orca.gateway.relay.Upstream;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** POST /mcp in both protocol eras, against the builtin upstream and a probe upstream that records cancels. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class McpEndpointIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("gateway_mcp"));
  static final String MODERN = "2026-07-28";

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    registry.add("orca.api.tokens", () -> McpClient.TOKEN);
  }

  /** An upstream "probe" whose tool "hang" never answers; counts subscriptions and cancellations. */
  static final class Probe implements Upstream {
    final AtomicInteger started = new AtomicInteger();
    volatile CountDownLatch cancelled = new CountDownLatch(1);
    volatile CountDownLatch subscribed = new CountDownLatch(1);

    @Override
    public String name() {
      return "probe";
    }

    @Override
    public Mono<JsonNode> listTools(String cursor) {
      ObjectNode page = McpClient.json.createObjectNode();
      ObjectNode tool = page.putArray("tools").addObject();
      tool.put("name", "hang");
      tool.putObject("inputSchema").put("type", "object");
      tool.putObject("_meta").put("com.example/kept", true);
      return Mono.just(page);
    }

    @Override
    public Mono<JsonNode> callTool(String tool, JsonNode arguments, JsonNode meta) {
      if (tool.equals("rich")) {
        return Mono.just(McpClient.json.readTree("""
            {"content":[{"type":"text","text":"t"},{"type":"image","data":"aGk=","mimeType":"image/png"},
              {"type":"resource_link","uri":"file:///x","name":"x"}],
             "structuredContent":{"a":[1,{"b":null}]},"isError":false,"_meta":{"com.example/trace":"abc"}}
            """));
      }
      if (!tool.equals("hang")) {
        return Mono.error(RelayException.unknownTool("probe." + tool));
      }
      return Mono.<JsonNode>never()
          .doOnSubscribe(s -> {
            started.incrementAndGet();
            subscribed.countDown();
          })
          .doOnCancel(() -> cancelled.countDown());
    }

    void reset() {
      cancelled = new CountDownLatch(1);
      subscribed = new CountDownLatch(1);
    }
  }

  @TestConfiguration
  static class ProbeConfig {
    @Bean
    Probe probe() {
      return new Probe();
    }
  }

  @LocalServerPort int port;
  @Autowired Probe probe;
  McpClient mcp;

  @BeforeEach
  void client() {
    mcp = new McpClient(port);
    probe.reset();
  }

  // ---------------------------------------------------------------- legacy era

  @Test
  void legacySessionListsAndCallsToolsAsTheOrchestratorsClientDoes() {
    String session = mcp.initialize("2025-11-25");
    assertThat(session).isNotBlank();
    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");

    Answer ping = mcp.post(mcp.request("ping", null), headers);
    assertThat(ping.status()).isEqualTo(200);
    assertThat(ping.json().path("result").isObject()).isTrue();

    Answer list = mcp.post(mcp.request("tools/list", null), headers);
    assertThat(list.status()).isEqualTo(200);
    List<String> names = new ArrayList<>();
    list.json().path("result").path("tools").forEach(t -> names.add(t.path("name").asString()));
    assertThat(names).contains("builtin.echo", "builtin.sleep", "builtin.json_transform", "builtin.http_request",
        "probe.hang");
    list.json().path("result").path("tools").forEach(t ->
        assertThat(t.path("inputSchema").path("type").asString()).as(t.toString()).isEqualTo("object"));
    JsonNode hang = find(list.json().path("result").path("tools"), "probe.hang");
    assertThat(hang.path("_meta").path("com.example/kept").asBoolean()).as("tool fields kept").isTrue();

    // exactly what McpGatewayClient sends: Accept json+sse, session, version, orchestrator-free _meta here
    ObjectNode args = McpClient.json.createObjectNode().put("text", "hello");
    args.putObject("nested").putArray("list").add(1).add("two").addNull();
    Answer call = mcp.post(mcp.request("tools/call", McpClient.callParams("builtin.echo", args)), headers);
    assertThat(call.status()).isEqualTo(200);
    assertThat(call.contentType()).startsWith("application/json");
    JsonNode result = call.json().path("result");
    assertThat(result.path("isError").asBoolean(true)).isFalse();
    assertThat(result.path("structuredContent")).isEqualTo(args);
    assertThat(result.path("content").get(0).path("type").asString()).isEqualTo("text");
    assertThat(McpClient.json.readTree(result.path("content").get(0).path("text").asString())).isEqualTo(args);
    assertThat(call.json().path("id").asLong()).isEqualTo(mcp.request("x", null).path("id").asLong() - 1);
  }

  @Test
  void relayKeepsEveryResultFieldOfAnUpstream() {
    String session = mcp.initialize("2025-06-18");
    Answer call = mcp.post(mcp.request("tools/call", McpClient.callParams("probe.rich", McpClient.json.createObjectNode())),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-06-18"));
    JsonNode result = call.json().path("result");
    assertThat(result.path("content")).hasSize(3);
    assertThat(result.path("content").get(1).path("data").asString()).isEqualTo("aGk=");
    assertThat(result.path("content").get(2).path("uri").asString()).isEqualTo("file:///x");
    assertThat(result.path("structuredContent").path("a").get(1).has("b")).isTrue();
    assertThat(result.path("_meta").path("com.example/trace").asString()).isEqualTo("abc");
    assertThat(result.has("resultType")).as("legacy results are passed through as they are").isFalse();
  }

  @Test
  void initializeNegotiatesALegacyVersion() {
    for (String asked : List.of("2025-03-26", "2025-06-18", "2025-11-25")) {
      Answer init = mcp.post(mcp.request("initialize", initParams(asked)), Map.of());
      assertThat(init.json().path("result").path("protocolVersion").asString()).isEqualTo(asked);
      assertThat(init.json().path("result").path("capabilities").has("tools")).isTrue();
    }
    for (String asked : List.of("2024-11-05", MODERN, "1999-01-01")) {
      Answer init = mcp.post(mcp.request("initialize", initParams(asked)), Map.of());
      assertThat(init.json().path("result").path("protocolVersion").asString()).as(asked).isEqualTo("2025-11-25");
    }
  }

  @Test
  void legacyRequestsNeedTheirSessionAndVersion() {
    Answer missing = mcp.post(mcp.request("tools/list", null), Map.of());
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.json().path("error").path("message").asString()).contains("Mcp-Session-Id");

    Answer unknown = mcp.post(mcp.request("tools/list", null), Map.of("Mcp-Session-Id", "not-a-session"));
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().path("error").path("code").asInt()).isEqualTo(-32001);

    String session = mcp.initialize("2025-06-18");
    String forged = session.substring(0, session.lastIndexOf('.')).replace("2025-06-18", "2025-11-25")
        + session.substring(session.lastIndexOf('.'));
    assertThat(mcp.post(mcp.request("tools/list", null), Map.of("Mcp-Session-Id", forged)).status()).isEqualTo(404);

    Answer wrongVersion = mcp.post(mcp.request("tools/list", null),
        Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25"));
    assertThat(wrongVersion.status()).isEqualTo(400);
    assertThat(wrongVersion.json().path("error").path("message").asString()).contains("2025-06-18");

    Answer unknownMethod = mcp.post(mcp.request("resources/list", null), Map.of("Mcp-Session-Id", session));
    assertThat(unknownMethod.json().path("error").path("code").asInt()).isEqualTo(-32601);
  }

  @Test
  void sseWhenTheClientAcceptsOnlyThatOrAsksForProgress() {
    String session = mcp.initialize("2025-11-25");
    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");
    ObjectNode args = McpClient.json.createObjectNode().put("x", 1);

    Answer onlySse = mcp.send(mcp.request("tools/call", McpClient.callParams("builtin.echo", args)), headers, true,
        "text/event-stream").block(Duration.ofSeconds(10));
    assertThat(onlySse.contentType()).startsWith("text/event-stream");
    List<JsonNode> events = events(onlySse.body());
    assertThat(events).hasSize(1);
    assertThat(events.get(0).path("result").path("structuredContent")).isEqualTo(args);

    ObjectNode params = McpClient.callParams("builtin.echo", args);
    params.putObject("_meta").put("progressToken", "p-1");
    Answer progress = mcp.post(mcp.request("tools/call", params), headers);
    assertThat(progress.contentType()).startsWith("text/event-stream");
    events = events(progress.body());
    assertThat(events).hasSize(2);
    assertThat(events.get(0).path("method").asString()).isEqualTo("notifications/progress");
    assertThat(events.get(0).path("params").path("progressToken").asString()).isEqualTo("p-1");
    assertThat(events.get(1).path("result").path("structuredContent")).isEqualTo(args);

    Answer json = mcp.send(mcp.request("tools/call", McpClient.callParams("builtin.echo", args)), headers, true,
        "application/json").block(Duration.ofSeconds(10));
    assertThat(json.contentType()).startsWith("application/json");
  }

  @Test
  void withoutATokenTheEndpointIsClosed() {
    Answer answer = mcp.send(mcp.request("initialize", initParams("2025-11-25")), Map.of(), false,
        "application/json, text/event-stream").block(Duration.ofSeconds(10));
    assertThat(answer.status()).isEqualTo(401);
    assertThat(answer.headers().getFirst("Mcp-Session-Id")).isNull();
  }

  @Test
  void unknownToolIsADistinctInvalidParamsError() {
    String session = mcp.initialize("2025-11-25");
    Map<String, String> headers = Map.of("Mcp-Session-Id", session);
    for (String name : List.of("nosuch.tool", "builtin.nosuch", "builtin", "builtin.")) {
      Answer answer = mcp.post(mcp.request("tools/call", McpClient.callParams(name, McpClient.json.createObjectNode())), headers);
      JsonNode error = answer.json().path("error");
      assertThat(error.path("code").asInt()).as(name).isEqualTo(-32602);
      assertThat(error.path("message").asString()).contains("'" + name + "'").contains("tools/list");
      assertThat(error.path("data").path("reason").asString()).isEqualTo("unknown_tool");
      assertThat(error.path("data").path("tool").asString()).isEqualTo(name);
    }
  }

  @Test
  void getAndDeleteAreNotAllowedAndBatchesAndGarbageAreRefused() {
    assertThat(mcp.post("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", Map.of()).status()).isEqualTo(400);
    Answer garbage = mcp.post("{not json", Map.of());
    assertThat(garbage.status()).isEqualTo(400);
    assertThat(garbage.json().path("error").path("code").asInt()).isEqualTo(-32700);
    Answer notAcceptable = mcp.send(mcp.request("ping", null), Map.of(), true, "text/html").block(Duration.ofSeconds(10));
    assertThat(notAcceptable.status()).isEqualTo(406);
  }

  @Test
  void httpLevelRefusalsKeepTheirStatuses() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI uri = URI.create("http://localhost:" + port + "/mcp");
    HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(uri).GET().build(), BodyHandlers.ofString());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(anonymous.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(McpClient.json.readTree(anonymous.body()).path("detail").asString()).contains("Bearer");
    for (String method : List.of("GET", "DELETE")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).method(method, BodyPublishers.noBody())
          .header("Authorization", "Bearer " + McpClient.TOKEN).build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).as(method).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).as(method).hasValue("POST");
    }

    Answer xml = mcp.send("<ping/>", Map.of("Content-Type", "text/xml"), true, "application/json")
        .block(Duration.ofSeconds(10));
    assertThat(xml.status()).isEqualTo(415);
    assertThat(xml.json().path("error").path("code").asInt()).isEqualTo(-32600);

    // one byte over the 4 MB limit, with a Content-Length and chunked
    String big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"pad\":\"";
    big = big + "x".repeat(4 * 1024 * 1024 - big.length() - 2) + "\"}}";
    for (BodyPublisher body : List.of(BodyPublishers.ofString(big),
        BodyPublishers.fromPublisher(BodyPublishers.ofString(big)))) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).POST(body)
          .header("Authorization", "Bearer " + McpClient.TOKEN).header("Content-Type", "application/json")
          .header("Accept", "application/json").build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(McpClient.json.readTree(r.body()).path("error").path("message").asString()).contains("too large");
    }
  }

  // ---------------------------------------------------------------- modern era

  @Test
  void modernStatelessDiscoverListAndCall() {
    Answer discover = mcp.post(mcp.request("server/discover", McpClient.modernParams(null, MODERN)),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "server/discover"));
    assertThat(discover.status()).isEqualTo(200);
    JsonNode result = discover.json().path("result");
    assertThat(result.path("resultType").asString()).isEqualTo("complete");
    assertThat(result.path("supportedVersions").toString()).contains(MODERN, "2025-11-25", "2025-03-26");
    assertThat(result.path("capabilities").has("tools")).isTrue();
    assertThat(result.path("serverInfo").path("name").asString()).isEqualTo("orca-mcp-gateway");
    assertThat(discover.headers().getFirst("Mcp-Session-Id")).isNull();

    Answer list = mcp.post(mcp.request("tools/list", McpClient.modernParams(null, MODERN)),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "tools/list"));
    assertThat(list.json().path("result").path("resultType").asString()).isEqualTo("complete");
    assertThat(find(list.json().path("result").path("tools"), "builtin.echo").isObject()).isTrue();

    ObjectNode args = McpClient.json.createObjectNode().put("q", "über");
    Answer call = mcp.post(mcp.request("tools/call", McpClient.modernParams(McpClient.callParams("builtin.echo", args), MODERN)),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "tools/call", "Mcp-Name", "builtin.echo",
            "Mcp-Session-Id", "ignored-in-this-era"));
    assertThat(call.status()).isEqualTo(200);
    assertThat(call.json().path("result").path("resultType").asString()).isEqualTo("complete");
    assertThat(call.json().path("result").path("structuredContent")).isEqualTo(args);

    // Mcp-Name in its base64 form
    Answer encoded = mcp.post(mcp.request("tools/call", McpClient.modernParams(McpClient.callParams("builtin.echo", args), MODERN)),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "tools/call", "Mcp-Name", "=?base64?YnVpbHRpbi5lY2hv?="));
    assertThat(encoded.status()).isEqualTo(200);
  }

  @Test
  void modernHeaderMismatchesAre32020() {
    ObjectNode call = mcp.request("tools/call", McpClient.modernParams(
        McpClient.callParams("builtin.echo", McpClient.json.createObjectNode()), MODERN));
    List<Map<String, String>> wrong = List.of(
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "tools/call", "Mcp-Name", "builtin.sleep"),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "tools/list", "Mcp-Name", "builtin.echo"),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "tools/call"),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Name", "builtin.echo"),
        Map.of("Mcp-Method", "tools/call", "Mcp-Name", "builtin.echo"),
        Map.of("MCP-Protocol-Version", "2099-01-01", "Mcp-Method", "tools/call", "Mcp-Name", "builtin.echo"));
    for (Map<String, String> headers : wrong) {
      Answer answer = mcp.post(call, headers);
      assertThat(answer.status()).as(headers.toString()).isEqualTo(400);
      assertThat(answer.json().path("error").path("code").asInt()).as(headers.toString()).isEqualTo(-32020);
      assertThat(answer.json().path("id").asLong()).isEqualTo(call.path("id").asLong());
    }
  }

  @Test
  void unsupportedModernVersionIs32022ListingTheSupportedOnes() {
    for (String version : List.of("2099-01-01", "2025-11-25")) {
      Answer answer = mcp.post(mcp.request("tools/list", McpClient.modernParams(null, version)),
          Map.of("MCP-Protocol-Version", version, "Mcp-Method", "tools/list"));
      assertThat(answer.status()).isEqualTo(400);
      JsonNode error = answer.json().path("error");
      assertThat(error.path("code").asInt()).isEqualTo(-32022);
      assertThat(error.path("data").path("requested").asString()).isEqualTo(version);
      List<String> supported = new ArrayList<>();
      error.path("data").path("supported").forEach(v -> supported.add(v.asString()));
      assertThat(supported).containsExactly(MODERN, "2025-11-25", "2025-06-18", "2025-03-26");
    }
    Answer unknownMethod = mcp.post(mcp.request("ping", McpClient.modernParams(null, MODERN)),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "ping"));
    assertThat(unknownMethod.status()).isEqualTo(404);
    assertThat(unknownMethod.json().path("error").path("code").asInt()).isEqualTo(-32601);
  }

  // ---------------------------------------------------------------- cancellation

  @Test
  void clientDisconnectCancelsTheUpstreamCall() throws Exception {
    Disposable call = mcp.send(mcp.request("tools/call", McpClient.modernParams(
            McpClient.callParams("probe.hang", McpClient.json.createObjectNode()), MODERN)),
        Map.of("MCP-Protocol-Version", MODERN, "Mcp-Method", "tools/call", "Mcp-Name", "probe.hang"),
        true, "application/json, text/event-stream").subscribe();
    assertThat(probe.subscribed.await(10, TimeUnit.SECONDS)).as("the call reached the upstream").isTrue();
    assertThat(probe.cancelled.getCount()).isEqualTo(1);
    call.dispose(); // closes the connection before the response
    assertThat(probe.cancelled.await(10, TimeUnit.SECONDS)).as("the upstream call was disposed").isTrue();
  }

  @Test
  void clientDisconnectCancelsAnSseCallToo() throws Exception {
    String session = mcp.initialize("2025-11-25");
    byte[] body = McpClient.json.writeValueAsBytes(
        mcp.request("tools/call", McpClient.callParams("probe.hang", McpClient.json.createObjectNode())));
    // A plain socket, closed once the call is upstream: a pooled HTTP client may keep its connection.
    try (Socket socket = new Socket("localhost", port)) {
      String head = "POST /mcp HTTP/1.1\r\nHost: localhost:" + port + "\r\nContent-Type: application/json\r\n"
          + "Accept: text/event-stream\r\nAuthorization: Bearer " + McpClient.TOKEN + "\r\nMcp-Session-Id: " + session
          + "\r\nContent-Length: " + body.length + "\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(body);
      socket.getOutputStream().flush();
      assertThat(probe.subscribed.await(10, TimeUnit.SECONDS)).as("the call reached the upstream").isTrue();
      assertThat(probe.cancelled.getCount()).isEqualTo(1);
    }
    assertThat(probe.cancelled.await(10, TimeUnit.SECONDS)).as("the upstream call was disposed").isTrue();
  }

  @Test
  void cancelledNotificationCancelsTheUpstreamCall() throws Exception {
    String session = mcp.initialize("2025-11-25");
    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");
    ObjectNode request = mcp.request("tools/call", McpClient.callParams("probe.hang", McpClient.json.createObjectNode()));
    Mono<Answer> answer = mcp.send(request, headers, true, "application/json, text/event-stream").cache();
    answer.subscribe();
    assertThat(probe.subscribed.await(10, TimeUnit.SECONDS)).isTrue();
    ObjectNode cancel = McpClient.json.createObjectNode();
    cancel.set("requestId", request.get("id"));
    cancel.put("reason", "test");
    assertThat(mcp.post(McpClient.notification("notifications/cancelled", cancel), headers).status()).isEqualTo(202);
    assertThat(probe.cancelled.await(10, TimeUnit.SECONDS)).as("the upstream call was disposed").isTrue();
    Answer response = answer.block(Duration.ofSeconds(10));
    assertThat(response.json().path("error").path("code").asInt()).isEqualTo(-32800);
  }

  // ---------------------------------------------------------------- helpers

  static ObjectNode initParams(String version) {
    ObjectNode params = McpClient.json.createObjectNode();
    params.put("protocolVersion", version);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "test").put("version", "1");
    return params;
  }

  static JsonNode find(JsonNode tools, String name) {
    for (JsonNode t : tools) {
      if (t.path("name").asString().equals(name)) {
        return t;
      }
    }
    throw new AssertionError("no tool " + name + " in " + tools);
  }

  static List<JsonNode> events(String body) {
    List<JsonNode> events = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("data:")) {
        events.add(McpClient.json.readTree(line.substring(5).strip()));
      }
    }
    return events;
  }
}

package dev.orca.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.gateway.mcp.McpClient.Answer;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The builtin upstream's tools through POST /mcp (modern era), with a local HTTP server allow-listed. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class BuiltinToolsIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("gateway_builtin"));
  static final List<String> received = new CopyOnWriteArrayList<>();
  static final DisposableServer http = HttpServer.create().host("127.0.0.1").port(0)
      .route(r -> r
          .post("/things", (req, res) -> req.receive().aggregate().asString(StandardCharsets.UTF_8)
              .flatMap(body -> {
                received.add(req.requestHeaders().get("X-Test") + " " + req.requestHeaders().get("Content-Type") + " " + body);
                return res.status(201).header("Content-Type", "application/json")
                    .sendString(Mono.just("{\"created\":true,\"echo\":" + body + "}")).then();
              }))
          .get("/missing", (req, res) -> res.status(404).sendString(Mono.just("nope")))
          .get("/big", (req, res) -> res.header("Content-Type", "text/plain").sendString(Mono.just("x".repeat(100_000))))
          .get("/slow", (req, res) -> Mono.delay(Duration.ofSeconds(5)).then(res.sendString(Mono.just("late")).then())))
      .bindNow();

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    registry.add("orca.api.tokens", () -> McpClient.TOKEN);
    registry.add("orca.gateway.builtin.http.allowed-hosts", () -> "127.0.0.1,*.allowed.test");
    registry.add("orca.gateway.builtin.http.max-response-bytes", () -> "65536");
    registry.add("orca.gateway.builtin.sleep.max", () -> "10s");
  }

  @AfterAll
  static void stop() {
    http.disposeNow();
  }

  @LocalServerPort int port;
  McpClient mcp;

  @BeforeEach
  void client() {
    mcp = new McpClient(port);
  }

  JsonNode call(String tool, ObjectNode args) {
    Answer answer = mcp.post(mcp.request("tools/call", McpClient.modernParams(McpClient.callParams(tool, args), "2026-07-28")),
        Map.of("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", tool));
    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    return answer.json().path("result");
  }

  static ObjectNode args() {
    return McpClient.json.createObjectNode();
  }

  static String text(JsonNode result) {
    return result.path("content").get(0).path("text").asString();
  }

  @Test
  void jsonTransformRunsJq() {
    ObjectNode a = args().put("filter", ".items | map(select(.n > 1) | .id)");
    a.set("input", McpClient.json.readTree("{\"items\":[{\"id\":\"a\",\"n\":1},{\"id\":\"b\",\"n\":2},{\"id\":\"c\",\"n\":3}]}"));
    JsonNode result = call("builtin.json_transform", a);
    assertThat(result.path("isError").asBoolean(true)).isFalse();
    assertThat(result.path("structuredContent").path("result").toString()).isEqualTo("[\"b\",\"c\"]");
    assertThat(result.path("structuredContent").path("count").asInt()).isEqualTo(1);

    ObjectNode many = args().put("filter", ".[] | . * 2");
    many.set("input", McpClient.json.readTree("[1,2,3]"));
    assertThat(call("builtin.json_transform", many).path("structuredContent").path("result").toString()).isEqualTo("[2,4,6]");

    JsonNode bad = call("builtin.json_transform", args().put("filter", ".items | map("));
    assertThat(bad.path("isError").asBoolean()).isTrue();
    assertThat(text(bad)).contains("does not compile");

    ObjectNode failing = args().put("filter", ".a + 1");
    failing.set("input", McpClient.json.readTree("{\"a\":\"text\"}"));
    JsonNode runtime = call("builtin.json_transform", failing);
    assertThat(runtime.path("isError").asBoolean()).isTrue();
    assertThat(text(runtime)).contains("jq filter failed");
  }

  @Test
  void sleepWaitsAndValidates() {
    long start = System.nanoTime();
    JsonNode result = call("builtin.sleep", args().put("ms", 200));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
    assertThat(result.path("structuredContent").path("sleptMs").asLong()).isEqualTo(200);
    JsonNode tooLong = call("builtin.sleep", args().put("ms", 60_000));
    assertThat(tooLong.path("isError").asBoolean()).isTrue();
    assertThat(text(tooLong)).contains("10000");
    assertThat(call("builtin.sleep", args().put("ms", "soon")).path("isError").asBoolean()).isTrue();
  }

  @Test
  void httpRequestRefusesHostsOutsideTheAllowList() {
    for (String url : List.of("http://localhost:1/x", "http://10.0.0.1/", "https://allowed.test.evil.example/",
        "http://[::1]:1/", "file:///etc/passwd")) {
      JsonNode result = call("builtin.http_request", args().put("url", url));
      assertThat(result.path("isError").asBoolean()).as(url).isTrue();
      assertThat(text(result)).as(url).containsAnyOf("refused", "must be an absolute http(s) URL");
    }
  }

  @Test
  void httpRequestReachesAnAllowListedHost() {
    ObjectNode a = args().put("method", "POST").put("url", "http://127.0.0.1:" + http.port() + "/things");
    a.putObject("headers").put("X-Test", "yes");
    a.putObject("body").put("name", "orca");
    JsonNode result = call("builtin.http_request", a);
    assertThat(result.path("isError").asBoolean(true)).as(result.toString()).isFalse();
    JsonNode s = result.path("structuredContent");
    assertThat(s.path("status").asInt()).isEqualTo(201);
    assertThat(s.path("json").path("created").asBoolean()).isTrue();
    assertThat(s.path("json").path("echo").path("name").asString()).isEqualTo("orca");
    assertThat(s.path("headers").path("content-type").asString()).contains("application/json");
    assertThat(received).contains("yes application/json {\"name\":\"orca\"}");

    JsonNode missing = call("builtin.http_request", args().put("url", "http://127.0.0.1:" + http.port() + "/missing"));
    assertThat(missing.path("isError").asBoolean()).isTrue();
    assertThat(missing.path("structuredContent").path("status").asInt()).isEqualTo(404);
    assertThat(missing.path("structuredContent").path("body").asString()).isEqualTo("nope");

    JsonNode big = call("builtin.http_request", args().put("url", "http://127.0.0.1:" + http.port() + "/big"));
    assertThat(big.path("isError").asBoolean()).isTrue();
    assertThat(text(big)).contains("larger than 65536 bytes");

    JsonNode slow = call("builtin.http_request",
        args().put("url", "http://127.0.0.1:" + http.port() + "/slow").put("timeoutMs", 300));
    assertThat(slow.path("isError").asBoolean()).isTrue();
    assertThat(text(slow)).contains("within 300 ms");
  }
}

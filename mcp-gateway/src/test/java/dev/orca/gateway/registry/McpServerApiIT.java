package dev.orca.gateway.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** /api/v1/mcp-servers CRUD with validation and the host allow-list; GET /api/v1/tools. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class McpServerApiIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("gateway_registry"));
  static final JsonMapper json = JsonMapper.builder().build();

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    registry.add("orca.api.tokens", () -> "test-token");
    registry.add("orca.gateway.upstream.allowed-hosts", () -> "mcp.example.com,*.tools.example.com");
  }

  @LocalServerPort int port;
  final HttpClient http = HttpClient.newHttpClient();

  record Answer(int status, String body, HttpResponse<String> raw) {
    JsonNode json() {
      return McpServerApiIT.json.readTree(body);
    }
  }

  Answer send(String method, String path, String body, boolean token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token) {
      b.header("Authorization", "Bearer test-token");
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r);
  }

  @Test
  void crudWithValidation() throws Exception {
    String github = """
        {"name":"github","description":"GitHub tools","endpoint":"https://mcp.example.com/mcp",
         "config":{"auth":{"type":"bearer","secret_name":"GITHUB_TOKEN"},"timeout_ms":5000}}""";
    assertThat(send("POST", "/api/v1/mcp-servers", github, false).status()).isEqualTo(401);
    Answer created = send("POST", "/api/v1/mcp-servers", github, true);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.raw().headers().firstValue("Location")).hasValue("/api/v1/mcp-servers/github");
    assertThat(created.json().path("enabled").asBoolean()).isTrue();
    assertThat(created.json().path("config").path("auth").path("secret_name").asString()).isEqualTo("GITHUB_TOKEN");

    assertThat(send("POST", "/api/v1/mcp-servers", github, true).status()).isEqualTo(409);

    Answer invalid = send("POST", "/api/v1/mcp-servers", """
        {"name":"bad.name","endpoint":"http://169.254.169.254/latest","config":{"auth":{"type":"bearer","token":"x"}}}""", true);
    assertThat(invalid.status()).isEqualTo(400);
    assertThat(invalid.raw().headers().firstValue("Content-Type").orElse("")).contains("problem+json");
    assertThat(invalid.body()).contains("name:", "169.254.169.254", "config.auth.token", "config.auth.secret_name");
    assertThat(send("POST", "/api/v1/mcp-servers", """
        {"name":"x","endpoint":"file:///etc/passwd"}""", true).body()).contains("absolute http(s) URL");
    assertThat(send("POST", "/api/v1/mcp-servers", """
        {"name":"builtin","endpoint":"https://mcp.example.com/"}""", true).status()).isEqualTo(400);

    assertThat(send("POST", "/api/v1/mcp-servers", """
        {"name":"deploy","endpoint":"https://eu.tools.example.com/mcp","enabled":false}""", true).status()).isEqualTo(201);

    Answer page = send("GET", "/api/v1/mcp-servers?limit=1", null, true);
    assertThat(page.json().path("items")).hasSize(1);
    assertThat(page.json().path("items").get(0).path("name").asString()).isEqualTo("deploy");
    Answer next = send("GET", "/api/v1/mcp-servers?limit=1&cursor=" + page.json().path("next_cursor").asString(), null, true);
    assertThat(next.json().path("items").get(0).path("name").asString()).isEqualTo("github");
    assertThat(next.json().has("next_cursor")).isFalse();

    Answer updated = send("PUT", "/api/v1/mcp-servers/github", """
        {"name":"github","endpoint":"https://mcp.example.com/v2","enabled":false}""", true);
    assertThat(updated.status()).isEqualTo(200);
    assertThat(updated.json().path("endpoint").asString()).isEqualTo("https://mcp.example.com/v2");
    assertThat(send("GET", "/api/v1/mcp-servers/github", null, true).json().path("enabled").asBoolean()).isFalse();

    assertThat(send("DELETE", "/api/v1/mcp-servers/github", null, true).status()).isEqualTo(204);
    assertThat(send("GET", "/api/v1/mcp-servers/github", null, true).status()).isEqualTo(404);
    assertThat(send("DELETE", "/api/v1/mcp-servers/github", null, true).status()).isEqualTo(404);
  }

  @Test
  void toolsCatalogue() throws Exception {
    Answer all = send("GET", "/api/v1/tools?server=builtin", null, true);
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.json().path("items").toString()).contains("builtin.echo", "builtin.http_request");
    assertThat(send("GET", "/api/v1/tools?server=nosuch", null, true).json().path("items")).isEmpty();
    assertThat(send("GET", "/api/v1/tools", null, false).status()).isEqualTo(401);
  }
}

package dev.orca.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.gateway.mcp.McpClient.Answer;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.Disposable;
import tools.jackson.databind.node.ObjectNode;

/** External calls land in mcp_tool_calls; the orchestrator's are only measured. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class AuditIT {
  static final TestDatabase db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("gateway_audit"));

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    registry.add("orca.api.tokens", () -> McpClient.TOKEN);
  }

  @LocalServerPort int port;

  @Test
  void externalCallIsAuditedOrchestratorCallIsOnlyMeasured() throws Exception {
    McpClient mcp = new McpClient(port);
    String session = mcp.initialize("2025-11-25");
    Map<String, String> headers = Map.of("Mcp-Session-Id", session, "MCP-Protocol-Version", "2025-11-25");

    String external = UUID.randomUUID().toString();
    ObjectNode args = McpClient.json.createObjectNode().put("marker", external).put("apiToken", "s3cret");
    Answer answer = mcp.post(mcp.request("tools/call", McpClient.callParams("builtin.echo", args)), headers);
    assertThat(answer.json().path("result").path("structuredContent").path("apiToken").asString()).isEqualTo("s3cret");

    String internal = UUID.randomUUID().toString();
    ObjectNode params = McpClient.callParams("builtin.echo", McpClient.json.createObjectNode().put("marker", internal));
    params.putObject("_meta").put("dev.orca/executionId", UUID.randomUUID().toString())
        .put("dev.orca/stepId", UUID.randomUUID().toString()).put("dev.orca/stepName", "s").put("dev.orca/attempt", 1);
    assertThat(mcp.post(mcp.request("tools/call", params), headers).status()).isEqualTo(200);

    String unknown = UUID.randomUUID().toString();
    mcp.post(mcp.request("tools/call", McpClient.callParams("nosuch.tool", McpClient.json.createObjectNode().put("marker", unknown))), headers);

    Map<String, Object> row = awaitRow(external);
    assertThat(row).containsEntry("source", "external").containsEntry("server_name", "builtin")
        .containsEntry("tool_name", "echo").containsEntry("status", "completed").containsEntry("outcome", "success");
    assertThat((String) row.get("params")).contains(external).contains("[redacted]").doesNotContain("s3cret");
    assertThat((String) row.get("result")).contains("structuredContent");
    assertThat((Integer) row.get("duration_ms")).isGreaterThanOrEqualTo(0);
    assertThat(row.get("execution_id")).isNull();

    Map<String, Object> rejected = awaitRow(unknown);
    assertThat(rejected).containsEntry("status", "failed").containsEntry("outcome", "rejected")
        .containsEntry("server_name", "nosuch").containsEntry("tool_name", "tool");
    assertThat((String) rejected.get("error")).contains("Unknown tool");

    // the orchestrator's call was made before the unknown one, whose row is there: no row for it
    assertThat(count(internal)).isZero();

    String metrics = get("/actuator/prometheus");
    assertThat(metrics).containsPattern(
        "orca_gateway_tool_calls_total\\{[^}]*outcome=\"success\",server=\"builtin\",tool=\"echo\"[^}]*} 2\\.0");
    assertThat(metrics).containsPattern(
        "orca_gateway_tool_calls_total\\{[^}]*outcome=\"rejected\",server=\"\\(unknown\\)\",tool=\"\\(unknown\\)\"");
    assertThat(metrics).contains("orca_gateway_tool_call_duration_seconds_bucket{");
    assertThat(metrics).contains("orca_gateway_audit_dropped_total");
  }

  @Test
  void cancelledCallIsAuditedAsCancelled() throws Exception {
    McpClient mcp = new McpClient(port);
    String marker = UUID.randomUUID().toString();
    ObjectNode args = McpClient.json.createObjectNode().put("ms", 60_000).put("marker", marker);
    Disposable call = mcp.send(mcp.request("tools/call", McpClient.modernParams(McpClient.callParams("builtin.sleep", args), "2026-07-28")),
        Map.of("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "builtin.sleep"),
        true, "application/json, text/event-stream").subscribe();
    Thread.sleep(1000); // the call is under way (a 60 s sleep)
    call.dispose();
    Map<String, Object> row = awaitRow(marker);
    assertThat(row).containsEntry("status", "cancelled").containsEntry("outcome", "cancelled")
        .containsEntry("tool_name", "sleep");
    assertThat((Integer) row.get("duration_ms")).isLessThan(60_000);
  }

  private Map<String, Object> awaitRow(String marker) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (System.nanoTime() < deadline) {
      try (Connection c = db.connect();
          PreparedStatement st = c.prepareStatement("""
              SELECT source, server_name, tool_name, status, outcome, params::text AS params, result::text AS result,
                     error, duration_ms, execution_id
              FROM mcp_tool_calls WHERE params->>'marker' = ?""")) {
        st.setString(1, marker);
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next()) {
            Map<String, Object> row = new java.util.HashMap<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
              row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
            }
            return row;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no audit row with marker " + marker);
  }

  private long count(String marker) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement st = c.prepareStatement("SELECT count(*) FROM mcp_tool_calls WHERE params->>'marker' = ?")) {
      st.setString(1, marker);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private String get(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return r.body();
  }
}

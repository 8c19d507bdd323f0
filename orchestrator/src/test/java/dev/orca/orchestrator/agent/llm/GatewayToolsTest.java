package dev.orca.orchestrator.agent.llm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.orchestrator.agent.registry.Agent;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Which gateway tools an agent gets, and the names providers accept. */
class GatewayToolsTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private static Agent agent(List<String> capabilities, String llmConfig) {
    return new Agent("a", List.of("o"), "A", "d", "1", "context", "x", List.of(), JSON.readTree("{}"), capabilities, "c",
        null, JSON.readTree(llmConfig), JSON.readTree("{}"), null, null);
  }

  private static JsonNode tool(String json) {
    return JSON.readTree(json);
  }

  @Test
  void capabilitiesMatchTheServerTheFullNameOrTheToolsOwnCapabilities() {
    Agent agent = agent(List.of("github", "deploy.rollout", "triage"), "{}");
    assertThat(GatewayTools.selected(agent, "github.getIssue", tool("{}"))).isTrue();
    assertThat(GatewayTools.selected(agent, "deploy.rollout", tool("{}"))).isTrue();
    assertThat(GatewayTools.selected(agent, "deploy.delete", tool("{}"))).isFalse();
    assertThat(GatewayTools.selected(agent, "linear.search",
        tool("{\"_meta\": {\"dev.orca/capabilities\": [\"triage\"]}}"))).isTrue();
  }

  @Test
  void anExplicitListWins() {
    Agent agent = agent(List.of("github"), "{\"tools\": [\"builtin.*\", \"deploy.status\"]}");
    assertThat(GatewayTools.selected(agent, "builtin.echo", tool("{}"))).isTrue();
    assertThat(GatewayTools.selected(agent, "deploy.status", tool("{}"))).isTrue();
    assertThat(GatewayTools.selected(agent, "github.getIssue", tool("{}"))).as("capabilities no longer count").isFalse();
  }

  @Test
  void namesHaveNoDotsStayWithin64AndNeverCollide() {
    Set<String> taken = new HashSet<>();
    assertThat(GatewayTools.safeName("github.get.issue", taken)).isEqualTo("github__get__issue");
    assertThat(GatewayTools.safeName("web.fetch url", taken)).isEqualTo("web__fetch_url");
    assertThat(GatewayTools.safeName("web.fetch:url", taken)).isEqualTo("web__fetch_url_2");
    String longName = GatewayTools.safeName("s." + "x".repeat(100), taken);
    assertThat(longName).hasSize(64).matches("[A-Za-z0-9_-]+");
    assertThat(GatewayTools.safeName("s." + "x".repeat(100), taken)).hasSize(64).endsWith("_2");
  }
}

package dev.orca.orchestrator.agent.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.orchestrator.definition.DefinitionValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The agent sample shipped with the local launcher (deploy/local) passes the registry's rules and the definition checks. */
class SampleAgentsTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Path LOCAL = Path.of("..", "deploy", "local");

  private static JsonNode read(String path) throws Exception {
    return JSON.readTree(Files.readString(LOCAL.resolve(path)));
  }

  @Test
  void theSampleOrganizationAgentAndWorkflowAreValid() throws Exception {
    assertThat(OrganizationRules.read(read("agents/local-org.json"), null).slug()).isEqualTo("local");
    Agent agent = AgentRules.read(read("agents/headline-writer.json"), null);
    assertThat(agent.agentType()).isEqualTo(AgentRules.CONTEXT);
    assertThat(agent.organizations()).containsExactly("local");
    JsonNode workflow = read("workflows/hello-agent.json");
    assertThat(new DefinitionValidator().validate(workflow.path("definition"))).isEmpty();
    assertThat(workflow.path("definition").findValuesAsString("agent")).containsExactly(agent.slug());
  }
}

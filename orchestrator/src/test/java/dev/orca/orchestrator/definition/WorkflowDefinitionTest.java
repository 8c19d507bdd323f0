package dev.orca.orchestrator.definition;

import static dev.orca.orchestrator.definition.Fixtures.json;
import static dev.orca.orchestrator.definition.Fixtures.workflow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WorkflowDefinitionTest {

  @Test
  void parsesTheDesignExample() {
    WorkflowDefinition d = WorkflowDefinition.parse(workflow("design-example.json"));
    assertThat(d.steps()).hasSize(2);
    ToolStep fetch = (ToolStep) d.steps().get(0);
    assertThat(fetch.name()).isEqualTo("fetch_issue");
    assertThat(fetch.server()).isEqualTo("github");
    assertThat(fetch.tool()).isEqualTo("getIssue");
    assertThat(fetch.qualifiedTool()).isEqualTo("github.getIssue");
    assertThat(fetch.params().get("number").asString()).isEqualTo("${input.issue_number}");
    assertThat(fetch.assign()).isEqualTo("issue");
    assertThat(fetch.when()).isNull();
    assertThat(fetch.timeoutMs()).isNull();
    assertThat(fetch.retry()).isNull();
    assertThat(fetch.kind()).isEqualTo("tool");
    assertThat(fetch.effectiveRetry(d.errorHandling())).isEqualTo(new RetryPolicy("exponential", 3, 1_000, 60_000, 2.0));

    AgentStep plan = (AgentStep) d.steps().get(1);
    assertThat(plan.agent()).isEqualTo("code-planner");
    assertThat(plan.input()).isEqualTo(json("{'issue': '${issue}'}"));
    assertThat(plan.when()).isEqualTo("issue.state == 'open'");
    assertThat(plan.timeoutMs()).isEqualTo(120_000L);
    assertThat(plan.kind()).isEqualTo("agent");
    // the step's retry overrides the workflow's field by field
    assertThat(plan.retry()).isEqualTo(new RetryPolicy("exponential", 2, 500, 60_000, 2.0));

    assertThat(d.errorHandling()).isEqualTo(new ErrorHandling("exponential", 3, 1_000, 60_000, 2.0));
    assertThat(d.knownRootsAt(0)).containsExactly("input", "event", "repo", "execution");
    assertThat(d.knownRootsAt(1)).containsExactly("input", "event", "repo", "execution", "issue");
    assertThat(d.step("plan")).isSameAs(plan);
  }

  @Test
  void toJsonRoundTrips() {
    WorkflowDefinition d = WorkflowDefinition.parse(workflow("design-example.json"));
    assertThat(WorkflowDefinition.parse(d.toJson())).isEqualTo(d);
    assertThat(new DefinitionValidator().validate(d.toJson())).isEmpty();
    WorkflowDefinition seed = WorkflowDefinition.parse(workflow("seed-004.json"));
    assertThat(WorkflowDefinition.parse(seed.toJson())).isEqualTo(seed);
  }

  @Test
  void defaultsApplyWithoutErrorHandling() {
    WorkflowDefinition d = WorkflowDefinition.parse(json("{'steps': [{'name': 'a', 'tool': 'x.y'}]}"));
    assertThat(d.errorHandling()).isEqualTo(ErrorHandling.DEFAULT);
    assertThat(((ToolStep) d.steps().get(0)).params()).isEqualTo(json("{}"));
    WorkflowDefinition none = WorkflowDefinition.parse(json(
        "{'steps': [{'name': 'a', 'tool': 'x.y', 'retry': {'strategy': 'none'}}], 'errorHandling': {'initialDelayMs': 5000}}"));
    assertThat(none.steps().get(0).retry()).isEqualTo(new RetryPolicy("none", 0, 5_000, 60_000, 2.0));
    assertThat(none.steps().get(0).retry().allowsRetry(0)).isFalse();
    WorkflowDefinition longDelay = WorkflowDefinition.parse(json(
        "{'steps': [{'name': 'a', 'tool': 'x.y', 'retry': {'initialDelayMs': 120000}}]}"));
    assertThat(longDelay.steps().get(0).retry().maxDelayMs()).isEqualTo(120_000);
  }

  @Test
  void refusesWhatValidationWouldRefuse() {
    assertThatThrownBy(() -> WorkflowDefinition.parse(json("{'steps': []}"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WorkflowDefinition.parse(json("{'steps': [{'name': 'a'}]}")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("step 0");
    assertThatThrownBy(() -> WorkflowDefinition.parse(json("{'steps': [{'name': 'a', 'tool': 'nodot'}]}")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> WorkflowDefinition.parse(json("[1]"))).isInstanceOf(IllegalArgumentException.class);
  }
}

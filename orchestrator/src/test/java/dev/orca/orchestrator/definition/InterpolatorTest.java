package dev.orca.orchestrator.definition;

import static dev.orca.orchestrator.definition.Fixtures.JSON;
import static dev.orca.orchestrator.definition.Fixtures.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.StringNode;

class InterpolatorTest {
  private final JsonNode context = JSON.readTree("""
      {
        "input": {"issue_number": 42, "ratio": 0.5, "flag": true, "nothing": null, "title": "Crash"},
        "repo": {"owner": "orca", "name": "core", "default_branch": "main"},
        "issue": {"number": 42, "state": "open", "labels": [{"name": "bug"}, {"name": "p1"}],
                  "meta": {"key with.dots": "v1", "it's": "quoted", "x-y": 7}}
      }
      """);

  private JsonNode resolve(String template) {
    return Interpolator.resolve(StringNode.valueOf(template), context);
  }

  @Test
  void aWholeValueReferenceKeepsItsJsonType() {
    assertThat(resolve("${input.issue_number}").isIntegralNumber()).isTrue();
    assertThat(resolve("${input.issue_number}").asInt()).isEqualTo(42);
    assertThat(resolve("${input.ratio}").doubleValue()).isEqualTo(0.5);
    assertThat(resolve("${input.flag}").isBoolean()).isTrue();
    assertThat(resolve("${input.nothing}").isNull()).isTrue();
    assertThat(resolve("${issue.labels}").isArray()).isTrue();
    assertThat(resolve("${issue}")).isEqualTo(context.get("issue"));
    assertThat(resolve("${ input.issue_number }").asInt()).isEqualTo(42);
  }

  @Test
  void anEmbeddedReferenceRendersAsText() {
    assertThat(resolve("fix/${issue.number}").asString()).isEqualTo("fix/42");
    assertThat(resolve("${repo.owner}/${repo.name}").asString()).isEqualTo("orca/core");
    assertThat(resolve("flag=${input.flag}, none=${input.nothing}").asString()).isEqualTo("flag=true, none=null");
    assertThat(resolve("labels: ${issue.labels}").asString())
        .isEqualTo("labels: [{\"name\":\"bug\"},{\"name\":\"p1\"}]");
    assertThat(resolve("title: ${input.title}").asString()).isEqualTo("title: Crash");
  }

  @Test
  void indexesAndBracketKeysReachIntoArraysAndOddKeys() {
    assertThat(resolve("${issue.labels[1].name}").asString()).isEqualTo("p1");
    assertThat(resolve("${issue.meta['key with.dots']}").asString()).isEqualTo("v1");
    assertThat(resolve("${issue.meta[\"key with.dots\"]}").asString()).isEqualTo("v1");
    assertThat(resolve("${issue.meta['it\\'s']}").asString()).isEqualTo("quoted");
    assertThat(resolve("${issue.meta.x-y}").asInt()).isEqualTo(7);
    // a quoted '}' does not end the reference
    assertThatThrownBy(() -> resolve("${issue.meta['}']}"))
        .hasMessage("no value at ${issue.meta['}']}: '}' not found in issue.meta");
  }

  @Test
  void resolvesObjectsAndArraysDeeplyWithoutTouchingKeysOrTheTemplate() {
    JsonNode template = json("{'owner': '${repo.owner}', '${not.a.key}': ['${input.issue_number}', 'n=${issue.number}', 3]}");
    JsonNode copy = template.deepCopy();
    JsonNode out = Interpolator.resolve(template, context);
    assertThat(out).isEqualTo(json("{'owner': 'orca', '${not.a.key}': [42, 'n=42', 3]}"));
    assertThat(template).isEqualTo(copy);
  }

  @Test
  void doubleDollarEscapesALiteralReference() {
    assertThat(resolve("cost: $${input.issue_number} is ${input.issue_number}").asString())
        .isEqualTo("cost: ${input.issue_number} is 42");
    assertThat(resolve("$${x}").asString()).isEqualTo("${x}");
    assertThat(resolve("just $ and { and }").asString()).isEqualTo("just $ and { and }");
  }

  @Test
  void aMissingPathFailsNamingThePath() {
    assertThatThrownBy(() -> resolve("${issue.numbr}"))
        .isInstanceOfSatisfying(MissingPathException.class, e -> assertThat(e.path()).isEqualTo("issue.numbr"))
        .hasMessage("no value at ${issue.numbr}: 'numbr' not found in issue");
    assertThatThrownBy(() -> resolve("branch fix/${issue.labels[5].name}"))
        .hasMessage("no value at ${issue.labels[5].name}: index 5 out of bounds in issue.labels (size 2)");
    assertThatThrownBy(() -> resolve("${plan.steps}"))
        .hasMessage("no value at ${plan.steps}: 'plan' not found in the context");
    assertThatThrownBy(() -> resolve("${input.title.text}"))
        .hasMessage("no value at ${input.title.text}: input.title is a string, not an object");
    assertThatThrownBy(() -> resolve("${input.nothing[0]}"))
        .hasMessage("no value at ${input.nothing[0]}: input.nothing is null, not an array");
    assertThatThrownBy(() -> resolve("${issue.meta['key with.dots'].deeper}"))
        .hasMessage("no value at ${issue.meta['key with.dots'].deeper}: issue.meta['key with.dots'] is a string, not an object");
  }

  @Test
  void rootsListsEveryReferencedRootOnce() {
    JsonNode template = json("{'a': '${repo.owner}', 'b': ['${issue.labels[0]}', 'x ${repo.name} ${input.n}'], 'c': '$${escaped.root}'}");
    assertThat(Interpolator.roots(template)).containsExactly("repo", "issue", "input");
    assertThat(Interpolator.roots(json("{'a': 1, 'b': 'plain'}"))).isEmpty();
  }

  @Test
  void malformedReferencesAreRejected() {
    for (String bad : new String[] {"${}", "${input.}", "${1abc}", "${input[x]}", "${input['open}", "open ${input", "${input..a}"}) {
      assertThatThrownBy(() -> Interpolator.roots(StringNode.valueOf(bad)))
          .as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}

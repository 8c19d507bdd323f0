package dev.orca.orchestrator.definition;

import static dev.orca.orchestrator.definition.Fixtures.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class ConditionsTest {
  private static final Set<String> ROOTS = Set.of("input", "event", "repo", "execution", "issue");
  private final JsonNode context = JSON.readTree("""
      {"input": {"n": 3, "ratio": 0.5, "title": "Crash on start", "none": null},
       "issue": {"state": "open", "labels": ["bug", "p1"], "number": 42, "meta": {"big": 12345678901234567890}}}
      """);

  private boolean test(String expression) {
    return Conditions.compile(expression, ROOTS).test(context);
  }

  @Test
  void evaluatesOverTheJsonContext() {
    assertThat(test("issue.state == 'open'")).isTrue();
    assertThat(test("issue.state == 'closed'")).isFalse();
    assertThat(test("input.n > 2 && input.ratio < 1")).isTrue();
    assertThat(test("input.n == 3.0")).isTrue(); // ints and doubles compare
    assertThat(test("'bug' in issue.labels && size(issue.labels) == 2")).isTrue();
    assertThat(test("issue.labels.exists(l, l == 'p1')")).isTrue();
    assertThat(test("has(issue.assignee)")).isFalse();
    assertThat(test("input.none == null")).isTrue();
    assertThat(test("input.title.startsWith('Crash') && input.title.matches('^C.*t$')")).isTrue();
    assertThat(test("issue.meta.big > 1.0")).isTrue();
  }

  @Test
  void aKnownRootMissingFromTheContextIsNull() {
    assertThat(test("repo == null")).isTrue();
  }

  @Test
  void anUnknownRootDoesNotCompile() {
    assertThatThrownBy(() -> Conditions.compile("plan.ok == true", ROOTS))
        .isInstanceOf(ConditionException.class)
        .hasMessageContaining("undeclared reference to 'plan'");
  }

  @Test
  void aNonBooleanExpressionDoesNotCompile() {
    assertThatThrownBy(() -> Conditions.compile("1 + 2", ROOTS))
        .isInstanceOf(ConditionException.class)
        .hasMessageContaining("expected type 'bool' but found 'int'");
    assertThatThrownBy(() -> Conditions.compile("issue.state ==", ROOTS))
        .isInstanceOf(ConditionException.class)
        .hasMessageContaining("does not compile");
  }

  @Test
  void aDynamicValueThatIsNotBooleanFailsAtEvaluation() {
    Condition c = Conditions.compile("issue.state", ROOTS);
    assertThatThrownBy(() -> c.test(context))
        .isInstanceOf(ConditionException.class)
        .hasMessage("when 'issue.state' gave open, not a boolean");
  }

  @Test
  void evaluationErrorsNameTheExpression() {
    Condition c = Conditions.compile("issue.missing == 1", ROOTS);
    assertThatThrownBy(() -> c.test(context))
        .isInstanceOf(ConditionException.class)
        .hasMessageStartingWith("when 'issue.missing == 1' failed:")
        .hasMessageContaining("missing");
  }

  @Test
  void nothingCanReachClassesFilesOrTheNetwork() {
    for (String escape : new String[] {
        "java.lang.Runtime.getRuntime().exec('id') == null",
        "getClass() == null",
        "input.getClass().getName() == 'x'",
        "T(java.lang.System).exit(0) == null",
        "readFile('/etc/passwd') == ''",
        "http.get('http://localhost') == ''",
        "type(input) == google.protobuf.Struct"}) {
      assertThatThrownBy(() -> Conditions.compile(escape, ROOTS)).as(escape)
          .isInstanceOf(ConditionException.class)
          .hasMessageContaining("does not compile");
    }
  }

  @Test
  void compiledConditionsAreCachedPerExpressionAndRoots() {
    assertThat(Conditions.compile("issue.number > 1", ROOTS)).isSameAs(Conditions.compile("issue.number > 1", ROOTS));
    assertThat(Conditions.compile("input.n > 1", Set.of("input")))
        .isNotSameAs(Conditions.compile("input.n > 1", Set.of("input", "issue")));
  }

  @Test
  void runawayComprehensionsAreBounded() {
    // 200 * 200 = 40,000 iterations > the 10,000 limit
    String expression = "[" + "1,".repeat(199) + "1].all(x, [" + "1,".repeat(199) + "1].all(y, x == y))";
    Condition c = Conditions.compile(expression, ROOTS);
    assertThatThrownBy(() -> c.test(context)).isInstanceOf(ConditionException.class);
  }
}

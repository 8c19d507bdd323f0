package dev.orca.orchestrator.definition;

import static dev.orca.orchestrator.definition.Fixtures.json;
import static dev.orca.orchestrator.definition.Fixtures.workflow;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class DefinitionValidatorTest {
  private static final DefinitionValidator validator = new DefinitionValidator();

  private static List<DefinitionProblem> validate(String singleQuoted) {
    return validator.validate(json(singleQuoted));
  }

  private static String step(String extra) {
    return "{'steps': [{'name': 'a', 'tool': 'github.getIssue', 'params': {}" + extra + "}]}";
  }

  @Test
  void theSeedAndDesignExamplesAreValid() {
    assertThat(validator.validate(workflow("seed-004.json"))).isEmpty();
    assertThat(validator.validate(workflow("design-example.json"))).isEmpty();
    assertThat(validator.validate(workflow("triage-v2.json"))).isEmpty();
  }

  @Test
  void everyKindOfProblemIsListedAtOnce() {
    assertThat(validator.validate(workflow("invalid-every-kind.json")))
        .extracting(DefinitionProblem::pointer, DefinitionProblem::message)
        .containsExactly(
            tuple("/steps/0/tol", "unknown property 'tol' (did you mean 'tool'?); allowed here: "
                + "name, tool, agent, params, input, assign, when, timeoutMs, retry"),
            tuple("/steps/1/name", "duplicate step name 'fetch' (also step 0)"),
            tuple("/steps/1/params/who", "unknown root 'plan' in ${plan.owner} ('plan' is assigned by a later step, 2); "
                + "known here: input, event, repo, execution, issue"),
            tuple("/steps/1/assign", "assign 'input' would shadow the reserved root 'input' "
                + "(reserved: input, event, repo, execution)"),
            tuple("/steps/2/retry/maxRetries", "must have a maximum value of 20"),
            tuple("/steps/2/when", "'when' does not compile: mismatched input '<EOF>' expecting "
                + "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER} (column 15)"),
            tuple("/steps/2/retry/maxDelayMs", "maxDelayMs 10 is less than initialDelayMs 1000"));
  }

  @Test
  void theShapeIsCheckedByTheSchema() {
    assertThat(validator.validate(json("[]")))
        .extracting(DefinitionProblem::pointer).containsExactly("");
    assertThat(validate("{}")).extracting(DefinitionProblem::pointer, DefinitionProblem::message)
        .containsExactly(tuple("/steps", "'steps' is required"));
    assertThat(validate("{'steps': []}")).extracting(DefinitionProblem::message)
        .containsExactly("a workflow needs at least one step");
    assertThat(validate("{'steps': [{'name': 'a'}]}")).extracting(DefinitionProblem::pointer, DefinitionProblem::message)
        .containsExactly(tuple("/steps/0", "a step needs exactly one of 'tool' (server.tool) or 'agent' (an agent slug)"));
    assertThat(validate("{'steps': [{'name': 'a', 'tool': 'x.y', 'agent': 'z'}]}")).extracting(DefinitionProblem::message)
        .containsExactly("a step has both 'tool' and 'agent'; it calls exactly one of them");
    assertThat(validate("{'steps': [{'name': 'a', 'agent': 'z', 'params': {}}]}")).extracting(DefinitionProblem::message)
        .containsExactly("'params' belongs to tool steps; an agent step takes 'input'");
    assertThat(validate("{'steps': [{'name': 'a', 'tool': 'nodot'}]}")).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/tool");
    assertThat(validate("{'steps': [{'name': 'a', 'tool': 'git.hub.x'}]}")).isEmpty(); // tool names may have dots
    assertThat(validate("{'steps': [{'name': 'a', 'agent': 'Code Planner'}]}")).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/agent");
    assertThat(validate("{'steps': [1]}")).extracting(DefinitionProblem::pointer, DefinitionProblem::message)
        .containsExactly(tuple("/steps/0", "integer found, object expected"));
    assertThat(validate("{'steps': [{'name': 'a', 'tool': 'x.y'}], 'errorHandling': {'retryStrategy': 'sometimes'}}"))
        .extracting(DefinitionProblem::pointer).containsExactly("/errorHandling/retryStrategy");
  }

  @Test
  void retryBoundsAreChecked() {
    assertThat(validate(step(", 'timeoutMs': 0"))).extracting(DefinitionProblem::pointer).containsExactly("/steps/0/timeoutMs");
    assertThat(validate(step(", 'timeoutMs': 86400001"))).extracting(DefinitionProblem::pointer).containsExactly("/steps/0/timeoutMs");
    assertThat(validate(step(", 'retry': {'maxRetries': 21}"))).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/retry/maxRetries");
    assertThat(validate(step(", 'retry': {'initialDelayMs': 0}"))).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/retry/initialDelayMs");
    assertThat(validate(step(", 'retry': {'initialDelayMs': 3600001}"))).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/retry/initialDelayMs");
    assertThat(validate(step(", 'retry': {'initialDelayMs': 5000, 'maxDelayMs': 4999}"))).extracting(DefinitionProblem::message)
        .containsExactly("maxDelayMs 4999 is less than initialDelayMs 5000");
    assertThat(validate(step(", 'retry': {'maxDelayMs': 86400001}"))).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/retry/maxDelayMs");
    assertThat(validate(step(", 'retry': {'strategy': 'none', 'maxRetries': 2}"))).extracting(DefinitionProblem::message)
        .containsExactly("maxRetries 2 contradicts strategy 'none'; drop one");
    assertThat(validate(step(", 'retry': {'multiplier': 11}"))).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/retry/multiplier");
    assertThat(validate(step(", 'retry': {'strategy': 'fixed', 'maxRetries': 20, 'initialDelayMs': 1, 'maxDelayMs': 86400000}"))).isEmpty();
    // a step's maxDelayMs is checked against the initial delay it inherits
    assertThat(validate("{'steps': [{'name': 'a', 'tool': 'x.y', 'retry': {'maxDelayMs': 100}}],"
        + " 'errorHandling': {'initialDelayMs': 200}}")).extracting(DefinitionProblem::message)
        .containsExactly("maxDelayMs 100 is less than initialDelayMs 200");
  }

  @Test
  void referencesMustUseRootsKnownAtThatStep() {
    assertThat(validate(step(", 'params': {'x': '${input.a} ${event.b} ${repo.c} ${execution.id}'}")
        .replace(", 'params': {}", ""))).isEmpty();
    List<DefinitionProblem> problems = validate(
        "{'steps': [{'name': 'a', 'tool': 'x.y', 'params': {'n': ['${nope.x}', 'ok', {'deep': '${a.self}'}]}, 'assign': 'a'}]}");
    assertThat(problems).extracting(DefinitionProblem::pointer).containsExactly("/steps/0/params/n/0", "/steps/0/params/n/2/deep");
    assertThat(problems.get(1).message()).contains("'a' is this step's own result");
    assertThat(validate(step(", 'when': 'later.ok'").replace("}]}", "}, {'name': 'b', 'tool': 'x.y', 'assign': 'later'}]}")))
        .extracting(DefinitionProblem::pointer, DefinitionProblem::message)
        .containsExactly(tuple("/steps/0/when", "'when' does not compile: undeclared reference to 'later' (column 1); "
            + "known roots here: event, execution, input, repo"));
  }

  @Test
  void malformedReferencesAreProblemsAtTheirPointer() {
    assertThat(validate(step("").replace("'params': {}", "'params': {'a/b': 'x ${input.'}")))
        .extracting(DefinitionProblem::pointer).containsExactly("/steps/0/params/a~1b");
  }

  @Test
  void assignsMustNotShadowOrRebind() {
    for (String reserved : new String[] {"input", "event", "repo", "execution"}) {
      assertThat(validate(step(", 'assign': '" + reserved + "'"))).extracting(DefinitionProblem::pointer)
          .containsExactly("/steps/0/assign");
    }
    assertThat(validate("{'steps': [{'name': 'a', 'tool': 'x.y', 'assign': 'r'}, {'name': 'b', 'tool': 'x.y', 'assign': 'r'}]}"))
        .extracting(DefinitionProblem::message).containsExactly("assign 'r' is already bound by step 0; use another name");
    assertThat(validate(step(", 'assign': 'not-an-identifier'"))).extracting(DefinitionProblem::pointer)
        .containsExactly("/steps/0/assign");
  }

  @Test
  void aBrokenShapeDoesNotStopTheOtherChecks() {
    JsonNode doc = json("{'steps': [{'name': 'a', 'tool': 'x.y', 'params': {'n': '${who.x}'}, 'when': 42}, 'junk',"
        + " {'name': 'a', 'agent': 'z', 'retry': 'often'}], 'extra': 1}");
    assertThat(validator.validate(doc)).extracting(DefinitionProblem::pointer)
        .containsExactly("/extra", "/steps/0/when", "/steps/0/params/n", "/steps/1", "/steps/2/retry", "/steps/2/name");
  }

  @Test
  void retryOnAndAnExecutionTimeoutAreValidatedToo() {
    assertThat(validator.validate(json(
        "{'timeoutMs': 60000, 'steps': [{'name': 'a', 'tool': 's.t', 'retry': {'retryOn': ['tool_error', 'timeout']}}]}")))
        .isEmpty();
    assertThat(validator.validate(json("{'steps': [{'name': 'a', 'tool': 's.t', 'retry': {'retryOn': ['missing_path']}}]}")))
        .extracting(DefinitionProblem::pointer).anyMatch(p -> p.startsWith("/steps/0/retry/retryOn"));
    assertThat(validator.validate(json("{'timeoutMs': 0, 'steps': [{'name': 'a', 'tool': 's.t'}]}")))
        .extracting(DefinitionProblem::pointer).contains("/timeoutMs");
  }
}

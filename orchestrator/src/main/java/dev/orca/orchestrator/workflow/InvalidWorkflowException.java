package dev.orca.orchestrator.workflow;

import dev.orca.orchestrator.definition.DefinitionProblem;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * 400: the request or its definition is invalid. The problem lists every issue in an {@code errors}
 * member, each {@code {pointer, message}} with the pointer into the request body (so a definition
 * problem at {@code /steps/1/when} is {@code /definition/steps/1/when}).
 */
public final class InvalidWorkflowException extends ErrorResponseException {
  private static final int SUMMARIZED = 5;
  private final List<DefinitionProblem> problems;

  public InvalidWorkflowException(List<DefinitionProblem> problems) {
    super(HttpStatus.BAD_REQUEST);
    this.problems = List.copyOf(problems);
    boolean definitionOnly = problems.stream().allMatch(p -> p.pointer().startsWith("/definition"));
    getBody().setTitle(definitionOnly ? "Invalid workflow definition" : "Invalid workflow request");
    String summary = problems.stream().limit(SUMMARIZED)
        .map(p -> (p.pointer().isEmpty() ? "" : p.pointer() + ": ") + p.message())
        .collect(Collectors.joining("; "));
    int n = problems.size();
    getBody().setDetail(n + (n == 1 ? " problem in the " : " problems in the ")
        + (definitionOnly ? "definition: " : "request: ") + summary + (n > SUMMARIZED ? "; …" : ""));
    getBody().setProperty("errors",
        problems.stream().map(p -> Map.of("pointer", p.pointer(), "message", p.message())).toList());
  }

  public List<DefinitionProblem> problems() {
    return problems;
  }
}

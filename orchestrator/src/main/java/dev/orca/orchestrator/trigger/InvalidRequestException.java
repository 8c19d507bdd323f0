package dev.orca.orchestrator.trigger;

import dev.orca.orchestrator.definition.DefinitionProblem;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/** 400 listing every problem of a subscription or repository request in {@code errors} ({@code {pointer, message}}). */
final class InvalidRequestException extends ErrorResponseException {
  InvalidRequestException(String what, List<DefinitionProblem> problems) {
    super(HttpStatus.BAD_REQUEST);
    getBody().setTitle("Invalid " + what);
    int n = problems.size();
    getBody().setDetail(n + (n == 1 ? " problem: " : " problems: ") + problems.stream()
        .map(p -> (p.pointer().isEmpty() ? "" : p.pointer() + ": ") + p.message())
        .collect(Collectors.joining("; ")));
    getBody().setProperty("errors",
        problems.stream().map(p -> Map.of("pointer", p.pointer(), "message", p.message())).toList());
  }

  static InvalidRequestException one(String what, String pointer, String message) {
    return new InvalidRequestException(what, List.of(new DefinitionProblem(pointer, message)));
  }

  /** 404 or 409 with a title and a detail saying what to do. */
  static ErrorResponseException problem(HttpStatus status, String title, String detail) {
    ErrorResponseException e = new ErrorResponseException(status);
    e.getBody().setTitle(title);
    e.getBody().setDetail(detail);
    return e;
  }
}

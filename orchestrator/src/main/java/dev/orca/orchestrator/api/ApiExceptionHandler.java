package dev.orca.orchestrator.api;

import org.springframework.core.codec.DecodingException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;

/**
 * Renders every controller error as problem+json. {@code ErrorResponseException}s (the API's own
 * 400/404/409s) keep their body, including extension members such as {@code errors}; an unreadable
 * body (malformed JSON, no body) becomes a 400 that says what is wrong and where, never a stack trace.
 */
@RestControllerAdvice
public class ApiExceptionHandler extends ResponseEntityExceptionHandler {

  @Override
  protected Mono<ResponseEntity<Object>> handleServerWebInputException(ServerWebInputException ex,
      HttpHeaders headers, HttpStatusCode status, ServerWebExchange exchange) {
    ProblemDetail problem = ProblemDetail.forStatus(HttpStatus.BAD_REQUEST);
    problem.setTitle("Unreadable request");
    problem.setDetail(describe(ex));
    return handleExceptionInternal(ex, problem, headers, HttpStatus.BAD_REQUEST, exchange);
  }

  /** What was wrong with the input, for a person; Jackson's message without its source excerpt. */
  static String describe(ServerWebInputException ex) {
    String reason = ex.getReason();
    if (reason != null && reason.startsWith("No request body")) {
      return "A JSON request body is required.";
    }
    JacksonException json = find(ex, JacksonException.class);
    if (json != null) {
      TokenStreamLocation at = json.getLocation();
      String where = at == null || at.getLineNr() < 0 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      return "The body is not valid JSON" + where + ": " + firstLine(json.getOriginalMessage());
    }
    DecodingException decoding = find(ex, DecodingException.class);
    if (decoding != null && decoding.getMessage() != null) {
      return "The body could not be read: " + firstLine(decoding.getMessage());
    }
    return reason != null ? reason : "The request could not be read.";
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "malformed input";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}

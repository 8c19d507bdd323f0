package dev.orca.orchestrator.execution;

import dev.orca.orchestrator.execution.ExecutionQueries.StartOutcome;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import dev.orca.orchestrator.events.ExecutionEventFeed;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** DESIGN §5: start, inspect, list and cancel executions. */
@RestController
@RequestMapping("/api/v1")
class ExecutionApi {
  private static final Set<String> STATUSES = Set.of("pending", "running", "completed", "failed", "cancelled");
  private static final int MAX_KEY_LENGTH = 255;

  private final ExecutionQueries executions;
  private final PostgresExecutionStore store;
  private final ExecutionMetrics metrics;
  private final ExecutionEventFeed feed;
  private final ExecutionStarter starter;

  ExecutionApi(ExecutionQueries executions, PostgresExecutionStore store, ExecutionMetrics metrics, ExecutionEventFeed feed,
      ExecutionStarter starter) {
    this.executions = executions;
    this.store = store;
    this.metrics = metrics;
    this.feed = feed;
    this.starter = starter;
  }

  /** {@code input} is the execution's input object; {@code timeoutMs} bounds the whole execution. */
  record StartRequest(JsonNode input, Long timeoutMs) {}

  record Page(List<ExecutionView> items, String nextCursor) {}

  @PostMapping("/workflows/{name}/executions")
  Mono<ResponseEntity<ExecutionView>> start(
      @PathVariable String name,
      @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey,
      @RequestBody(required = false) StartRequest request) {
    JsonNode input = request == null || request.input() == null ? tools.jackson.databind.node.JsonNodeFactory.instance.objectNode() : request.input();
    if (!input.isObject()) {
      return Mono.error(problem(HttpStatus.BAD_REQUEST, "'input' must be a JSON object, not " + input.getNodeType().name().toLowerCase() + "."));
    }
    Long timeoutMs = request == null ? null : request.timeoutMs();
    if (timeoutMs != null && (timeoutMs < 1 || timeoutMs > 7L * 24 * 3600 * 1000)) {
      return Mono.error(problem(HttpStatus.BAD_REQUEST, "'timeoutMs' must be between 1 and 604800000 (7 days)."));
    }
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_KEY_LENGTH)) {
      return Mono.error(problem(HttpStatus.BAD_REQUEST, "Idempotency-Key must be 1 to 255 characters."));
    }
    return starter.start(name, input, idempotencyKey, timeoutMs).flatMap(outcome -> {
      if (outcome instanceof StartOutcome.UnknownWorkflow) {
        return Mono.error(problem(HttpStatus.NOT_FOUND, "No workflow named '" + name + "'."));
      }
      if (outcome instanceof StartOutcome.DisabledWorkflow) {
        return Mono.error(problem(HttpStatus.CONFLICT, "Workflow '" + name + "' is disabled; enable it with PUT /api/v1/workflows/" + name + " first."));
      }
      boolean created = outcome instanceof StartOutcome.Started;
      UUID id = created ? ((StartOutcome.Started) outcome).id() : ((StartOutcome.AlreadyStarted) outcome).id();
      if (created) {
        metrics.started(name, "api");
      }
      // A new execution is answered as created, without reading it back.
      ExecutionView createdView = created ? ((StartOutcome.Started) outcome).view() : null;
      Mono<ExecutionView> view = createdView != null ? Mono.just(createdView) : executions.find(id);
      return view.map(v -> ResponseEntity
          .status(created ? HttpStatus.ACCEPTED : HttpStatus.OK)
          .location(URI.create("/api/v1/executions/" + id))
          .body(v));
    });
  }

  @GetMapping("/executions/{id}")
  Mono<ExecutionView> get(@PathVariable UUID id) {
    return executions.find(id).switchIfEmpty(Mono.error(() -> unknown(id)));
  }

  /** Every MCP tool call the execution's steps made (the orchestrator's intent/completion rows). */
  @GetMapping("/executions/{id}/tool-calls")
  Mono<List<ExecutionQueries.ToolCallView>> toolCalls(@PathVariable UUID id) {
    return executions.find(id)
        .switchIfEmpty(Mono.error(() -> unknown(id)))
        .then(executions.toolCalls(id).collectList());
  }

  @GetMapping("/executions")
  Mono<Page> list(
      @RequestParam(required = false) String workflow,
      @RequestParam(required = false) String status,
      @RequestParam(defaultValue = "50") int limit,
      @RequestParam(required = false) String cursor) {
    if (status != null && !STATUSES.contains(status)) {
      return Mono.error(problem(HttpStatus.BAD_REQUEST, "'status' must be one of " + STATUSES + "."));
    }
    if (limit < 1 || limit > 200) {
      return Mono.error(problem(HttpStatus.BAD_REQUEST, "'limit' must be between 1 and 200."));
    }
    Cursor after;
    try {
      after = cursor == null ? null : Cursor.decode(cursor);
    } catch (IllegalArgumentException e) {
      return Mono.error(problem(HttpStatus.BAD_REQUEST, "'cursor' is not one this API gave out; pass nextCursor from the previous page."));
    }
    return executions.list(workflow, status, limit + 1, after == null ? null : after.createdAt(), after == null ? null : after.id())
        .collectList()
        .map(rows -> {
          boolean more = rows.size() > limit;
          List<ExecutionView> items = more ? rows.subList(0, limit) : rows;
          ExecutionView lastItem = items.isEmpty() ? null : items.get(items.size() - 1);
          return new Page(items, more ? new Cursor(lastItem.createdAt(), lastItem.id()).encode() : null);
        });
  }

  @PostMapping("/executions/{id}/cancel")
  Mono<ResponseEntity<ExecutionView>> cancel(@PathVariable UUID id) {
    return executions.requestCancel(id).flatMap(outcome -> switch (outcome) {
      case UNKNOWN -> Mono.<ResponseEntity<ExecutionView>>error(unknown(id));
      case ALREADY_FINISHED -> executions.find(id).flatMap(view -> Mono.<ResponseEntity<ExecutionView>>error(
          problem(HttpStatus.CONFLICT, "Execution " + id + " already finished (" + view.status() + "); there is nothing to cancel.")));
      // Nobody runs it now (pending, or waiting for a retry): cancel it here. A replica that claims it
      // meanwhile sees the request and cancels it instead.
      case REQUESTED_WHILE_WAITING -> store.cancelExecution(id, null).then(accepted(id));
      // The replica running it was told (NOTIFY) and disposes the step in flight.
      case REQUESTED_WHILE_RUNNING -> accepted(id);
    });
  }

  /**
   * Server-Sent Events of the execution's transitions: what already happened, then live until it
   * ends. A client that reconnects with {@code Last-Event-ID} gets only what it has not seen.
   */
  @GetMapping(value = "/executions/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
  Flux<ServerSentEvent<JsonNode>> events(
      @PathVariable UUID id, @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
    long after;
    try {
      after = lastEventId == null ? 0 : Long.parseLong(lastEventId.strip());
    } catch (NumberFormatException e) {
      return Flux.error(problem(HttpStatus.BAD_REQUEST, "Last-Event-ID must be an id this stream sent."));
    }
    return executions.find(id)
        .switchIfEmpty(Mono.error(() -> unknown(id)))
        .thenMany(feed.follow(id))
        .filter(event -> event.sequence() > after)
        .map(event -> ServerSentEvent.builder(event.data())
            .id(Long.toString(event.sequence()))
            .event(event.type())
            .build());
  }

  private Mono<ResponseEntity<ExecutionView>> accepted(UUID id) {
    return executions.find(id).map(view -> ResponseEntity.accepted().body(view));
  }

  private static ErrorResponseException unknown(UUID id) {
    return problem(HttpStatus.NOT_FOUND, "No execution with id " + id + ".");
  }

  static ErrorResponseException problem(HttpStatus status, String detail) {
    return new ErrorResponseException(status, ProblemDetail.forStatusAndDetail(status, detail), null);
  }

  /** Opaque page position: the last (createdAt, id) shown. */
  record Cursor(Instant createdAt, UUID id) {
    String encode() {
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String cursor) {
      try {
        String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|", 2);
        return new Cursor(Instant.parse(parts[0]), UUID.fromString(parts[1]));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("bad cursor", e);
      }
    }
  }
}

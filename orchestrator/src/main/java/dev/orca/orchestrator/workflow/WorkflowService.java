package dev.orca.orchestrator.workflow;

import dev.orca.orchestrator.api.Paging;
import dev.orca.orchestrator.definition.DefinitionValidator;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** Validates and stores workflow definitions; every error is a problem+json {@code ErrorResponseException}. */
@Service
public class WorkflowService {
  private final WorkflowStore store;
  private final WorkflowRequests requests = new WorkflowRequests(new DefinitionValidator());

  public WorkflowService(WorkflowStore store) {
    this.store = store;
  }

  public Mono<Workflow> create(JsonNode body) {
    return Mono.fromCallable(() -> requests.create(body))
        .flatMap(c -> store.create(c.name(), c.description(), c.definition()));
  }

  public Mono<Workflow> update(String name, JsonNode body) {
    return Mono.fromCallable(() -> requests.update(name, body))
        .flatMap(u -> WorkflowRequests.isValidName(name)
            ? store.update(name, u.definition(), u.keepDescription(), u.description(), u.enabled())
            : Mono.empty())
        .switchIfEmpty(Mono.error(() -> notFound(name)));
  }

  public Mono<Void> disable(String name) {
    return (WorkflowRequests.isValidName(name) ? store.disable(name) : Mono.just(false))
        .flatMap(found -> found ? Mono.<Void>empty() : Mono.error(notFound(name)));
  }

  public Mono<Workflow> get(String name) {
    return (WorkflowRequests.isValidName(name) ? store.findByName(name) : Mono.<Workflow>empty())
        .switchIfEmpty(Mono.error(() -> notFound(name)));
  }

  public Mono<WorkflowVersion> getVersion(String name, int version) {
    return (WorkflowRequests.isValidName(name) && version >= 1 ? store.findVersion(name, version) : Mono.<WorkflowVersion>empty())
        .switchIfEmpty(Mono.error(() -> new WorkflowNotFoundException(
            "Workflow '" + name + "' has no version " + version + ".")));
  }

  /**
   * A page ordered by name.
   *
   * @param limit 1..200, default 50
   * @param cursor the {@code nextCursor} of the previous page (base64url of the last name), or null
   * @param enabled "true"/"false" to filter, or null for all
   */
  public Mono<WorkflowPage> list(String limit, String cursor, String enabled) {
    return Mono.fromCallable(() -> new ListQuery(Paging.limit(limit), Paging.after(cursor, WorkflowRequests::isValidName),
        parseEnabled(enabled)))
        .flatMap(q -> store.list(q.after(), q.enabled(), q.limit() + 1).collectList()
            .map(rows -> Paging.page(rows, q.limit(), Workflow::name))
            .map(page -> new WorkflowPage(page.items(), page.nextCursor())));
  }

  private record ListQuery(int limit, String after, Boolean enabled) {}

  private static Boolean parseEnabled(String enabled) {
    if (enabled == null || enabled.isEmpty()) {
      return null;
    }
    return switch (enabled) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new BadRequestException("'enabled' is true or false; got '" + enabled + "'");
    };
  }

  private static WorkflowNotFoundException notFound(String name) {
    return new WorkflowNotFoundException("There is no workflow named '" + name + "'.");
  }
}

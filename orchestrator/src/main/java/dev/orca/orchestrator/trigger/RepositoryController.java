package dev.orca.orchestrator.trigger;

import static dev.orca.orchestrator.trigger.InvalidRequestException.problem;

import dev.orca.orchestrator.sql.Sql;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/v1/repositories} (DESIGN §5): GitHub repositories by {@code owner/name}, with
 * {@code config.auto_workflows}. PUT replaces default branch, enabled and config.
 */
@RestController
@RequestMapping("/api/v1/repositories")
class RepositoryController {
  private final PostgresRepositoryStore store;

  RepositoryController(PostgresRepositoryStore store) {
    this.store = store;
  }

  @PostMapping
  Mono<ResponseEntity<ConfiguredRepository>> create(@RequestBody JsonNode body) {
    return Mono.fromCallable(() -> TriggerRequests.repository(body, null, null))
        .flatMap(r -> store.create(r.owner(), r.name(), r.defaultBranch(), r.enabled(), r.config())
            .onErrorMap(Sql::isUniqueViolation, e -> problem(HttpStatus.CONFLICT,
                "Repository already exists", "Repository " + r.owner() + "/" + r.name()
                    + " is already registered; PUT /api/v1/repositories/" + r.owner() + "/" + r.name() + " changes it.")))
        .map(r -> ResponseEntity.created(URI.create("/api/v1/repositories/" + r.fullName())).body(r));
  }

  @GetMapping
  Mono<Pages.Page<ConfiguredRepository>> list(@RequestParam(required = false) String limit,
      @RequestParam(required = false) String cursor) {
    return Mono.fromCallable(() -> new int[] {Pages.limit(limit)})
        .flatMap(n -> store.list(Pages.after(cursor), n[0] + 1).collectList()
            .map(rows -> Pages.of(rows, n[0], ConfiguredRepository::fullName)));
  }

  @GetMapping("/{owner}/{name}")
  Mono<ConfiguredRepository> get(@PathVariable String owner, @PathVariable String name) {
    return store.find(owner, name).switchIfEmpty(Mono.error(() -> notFound(owner, name)));
  }

  @PutMapping("/{owner}/{name}")
  Mono<ConfiguredRepository> update(@PathVariable String owner, @PathVariable String name, @RequestBody JsonNode body) {
    return Mono.fromCallable(() -> TriggerRequests.repository(body, owner, name))
        .flatMap(r -> store.update(owner, name, r.defaultBranch(), r.enabled(), r.config()))
        .switchIfEmpty(Mono.error(() -> notFound(owner, name)));
  }

  @DeleteMapping("/{owner}/{name}")
  Mono<ResponseEntity<Void>> delete(@PathVariable String owner, @PathVariable String name) {
    return store.delete(owner, name).flatMap(found -> found
        ? Mono.just(ResponseEntity.noContent().<Void>build())
        : Mono.error(notFound(owner, name)));
  }

  private static ErrorResponseException notFound(String owner, String name) {
    return problem(HttpStatus.NOT_FOUND, "Repository not found",
        "Repository " + owner + "/" + name + " is not registered; POST /api/v1/repositories registers it.");
  }
}

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

/** {@code /api/v1/subscriptions} (DESIGN §5): event subscriptions by name; PUT replaces every field. */
@RestController
@RequestMapping("/api/v1/subscriptions")
class SubscriptionController {
  private final PostgresSubscriptionStore store;

  SubscriptionController(PostgresSubscriptionStore store) {
    this.store = store;
  }

  @PostMapping
  Mono<ResponseEntity<Subscription>> create(@RequestBody JsonNode body) {
    return Mono.fromCallable(() -> TriggerRequests.subscription(body, null))
        .flatMap(f -> store.create(f)
            .onErrorMap(Sql::isUniqueViolation, e -> problem(HttpStatus.CONFLICT,
                "Subscription already exists", "A subscription named '" + f.name() + "' already exists; PUT /api/v1/subscriptions/"
                    + f.name() + " replaces it."))
            .switchIfEmpty(Mono.error(() -> unknownWorkflow(f.workflow()))))
        .map(s -> ResponseEntity.created(URI.create("/api/v1/subscriptions/" + s.name())).body(s));
  }

  @GetMapping
  Mono<Pages.Page<Subscription>> list(@RequestParam(required = false) String limit, @RequestParam(required = false) String cursor) {
    return Mono.fromCallable(() -> new int[] {Pages.limit(limit)})
        .flatMap(n -> store.list(Pages.after(cursor), n[0] + 1).collectList()
            .map(rows -> Pages.of(rows, n[0], Subscription::name)));
  }

  @GetMapping("/{name}")
  Mono<Subscription> get(@PathVariable String name) {
    return store.find(name).switchIfEmpty(Mono.error(() -> notFound(name)));
  }

  @PutMapping("/{name}")
  Mono<Subscription> update(@PathVariable String name, @RequestBody JsonNode body) {
    return Mono.fromCallable(() -> TriggerRequests.subscription(body, name))
        .flatMap(f -> store.update(name, f)
            .switchIfEmpty(Mono.defer(() -> store.find(name)
                .flatMap(exists -> Mono.<Subscription>error(unknownWorkflow(f.workflow())))
                .switchIfEmpty(Mono.error(() -> notFound(name))))));
  }

  @DeleteMapping("/{name}")
  Mono<ResponseEntity<Void>> delete(@PathVariable String name) {
    return store.delete(name).flatMap(found -> found
        ? Mono.just(ResponseEntity.noContent().<Void>build())
        : Mono.error(notFound(name)));
  }

  private static ErrorResponseException unknownWorkflow(String workflow) {
    return InvalidRequestException.one("subscription", "/workflow",
        "there is no workflow named '" + workflow + "'; create it with POST /api/v1/workflows first");
  }

  private static ErrorResponseException notFound(String name) {
    return problem(HttpStatus.NOT_FOUND, "Subscription not found", "There is no subscription named '" + name + "'.");
  }
}

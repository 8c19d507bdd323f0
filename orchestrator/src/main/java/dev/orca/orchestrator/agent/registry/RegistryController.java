package dev.orca.orchestrator.agent.registry;

import dev.orca.orchestrator.api.Paging;
import java.net.URI;
import org.springframework.http.ResponseEntity;
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

/** {@code /api/v1/organizations} and {@code /api/v1/agents} (DESIGN §5): CRUD by slug, lists by cursor. */
@RestController
@RequestMapping("/api/v1")
class RegistryController {
  private final RegistryService registry;

  RegistryController(RegistryService registry) {
    this.registry = registry;
  }

  @PostMapping("/organizations")
  Mono<ResponseEntity<Organization>> createOrganization(@RequestBody JsonNode body) {
    return registry.createOrganization(body)
        .map(o -> ResponseEntity.created(URI.create("/api/v1/organizations/" + o.slug())).body(o));
  }

  @GetMapping("/organizations")
  Mono<Paging.Page<Organization>> organizations(@RequestParam(required = false) String limit,
      @RequestParam(required = false) String cursor) {
    return registry.organizations(limit, cursor);
  }

  @GetMapping("/organizations/{slug}")
  Mono<Organization> organization(@PathVariable String slug) {
    return registry.organization(slug);
  }

  @PutMapping("/organizations/{slug}")
  Mono<Organization> replaceOrganization(@PathVariable String slug, @RequestBody JsonNode body) {
    return registry.replaceOrganization(slug, body);
  }

  @DeleteMapping("/organizations/{slug}")
  Mono<ResponseEntity<Void>> deleteOrganization(@PathVariable String slug) {
    return registry.deleteOrganization(slug).then(Mono.just(ResponseEntity.noContent().<Void>build()));
  }

  @PostMapping("/agents")
  Mono<ResponseEntity<Agent>> createAgent(@RequestBody JsonNode body) {
    return registry.createAgent(body).map(a -> ResponseEntity.created(URI.create("/api/v1/agents/" + a.slug())).body(a));
  }

  /** Filters: {@code organization}, {@code type}, {@code capability}, {@code tag} (each exact, combined with AND). */
  @GetMapping("/agents")
  Mono<Paging.Page<Agent>> agents(@RequestParam(required = false) String organization,
      @RequestParam(required = false) String type, @RequestParam(required = false) String capability,
      @RequestParam(required = false) String tag, @RequestParam(required = false) String limit,
      @RequestParam(required = false) String cursor) {
    return registry.agents(new PostgresAgentStore.Filter(blankToNull(organization), blankToNull(type),
        blankToNull(capability), blankToNull(tag)), limit, cursor);
  }

  @GetMapping("/agents/{slug}")
  Mono<Agent> agent(@PathVariable String slug) {
    return registry.agent(slug);
  }

  @PutMapping("/agents/{slug}")
  Mono<Agent> replaceAgent(@PathVariable String slug, @RequestBody JsonNode body) {
    return registry.replaceAgent(slug, body);
  }

  @DeleteMapping("/agents/{slug}")
  Mono<ResponseEntity<Void>> deleteAgent(@PathVariable String slug) {
    return registry.deleteAgent(slug).then(Mono.just(ResponseEntity.noContent().<Void>build()));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}

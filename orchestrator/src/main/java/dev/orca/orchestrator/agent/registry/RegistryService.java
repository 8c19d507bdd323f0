package dev.orca.orchestrator.agent.registry;

import dev.orca.orchestrator.api.Paging;
import java.util.List;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Organizations and agents: reads bodies through the rules, checks that an agent's organizations exist, and
 * turns "no row" into 404. Every error is a problem+json {@link RegistryException}.
 */
@Service
class RegistryService {
  private final PostgresOrganizationStore organizations;
  private final PostgresAgentStore agents;

  RegistryService(PostgresOrganizationStore organizations, PostgresAgentStore agents) {
    this.organizations = organizations;
    this.agents = agents;
  }

  // ---------------------------------------------------------------- organizations

  Mono<Organization> createOrganization(JsonNode body) {
    return Mono.fromCallable(() -> OrganizationRules.read(body, null)).flatMap(organizations::create);
  }

  Mono<Organization> replaceOrganization(String slug, JsonNode body) {
    return known(slug, "organization").then(Mono.fromCallable(() -> OrganizationRules.read(body, slug)))
        .flatMap(organizations::replace)
        .switchIfEmpty(Mono.error(() -> RegistryException.notFound("organization", slug)));
  }

  Mono<Void> deleteOrganization(String slug) {
    return known(slug, "organization").then(organizations.delete(slug)).flatMap(d -> {
      if (d.present() == 0) {
        return Mono.error(RegistryException.notFound("organization", slug));
      }
      return d.deleted() > 0 ? Mono.<Void>empty() : Mono.error(RegistryException.inUse(slug, d.agents()));
    });
  }

  Mono<Organization> organization(String slug) {
    return known(slug, "organization").then(organizations.find(slug))
        .switchIfEmpty(Mono.error(() -> RegistryException.notFound("organization", slug)));
  }

  Mono<Paging.Page<Organization>> organizations(String limit, String cursor) {
    return Mono.fromCallable(() -> new int[] {Paging.limit(limit)})
        .flatMap(n -> organizations.list(Paging.after(cursor, AgentRules::isSlug), n[0] + 1).collectList()
            .map(rows -> Paging.page(rows, n[0], Organization::slug)));
  }

  // ---------------------------------------------------------------- agents

  Mono<Agent> createAgent(JsonNode body) {
    return Mono.fromCallable(() -> AgentRules.read(body, null))
        .flatMap(a -> organizationsExist(a).then(agents.create(a)));
  }

  Mono<Agent> replaceAgent(String slug, JsonNode body) {
    return known(slug, "agent").then(Mono.fromCallable(() -> AgentRules.read(body, slug)))
        .flatMap(a -> organizationsExist(a).then(agents.replace(a)))
        .switchIfEmpty(Mono.error(() -> RegistryException.notFound("agent", slug)));
  }

  Mono<Void> deleteAgent(String slug) {
    return known(slug, "agent").then(agents.delete(slug))
        .flatMap(found -> found ? Mono.<Void>empty() : Mono.error(RegistryException.notFound("agent", slug)));
  }

  Mono<Agent> agent(String slug) {
    return known(slug, "agent").then(agents.find(slug)).switchIfEmpty(Mono.error(() -> RegistryException.notFound("agent", slug)));
  }

  Mono<Paging.Page<Agent>> agents(PostgresAgentStore.Filter filter, String limit, String cursor) {
    return Mono.fromCallable(() -> {
          if (filter.type() != null && !AgentRules.TYPES.contains(filter.type())) {
            throw RegistryException.badQuery("'type' is one of context, api, external; got '" + filter.type() + "'");
          }
          return new int[] {Paging.limit(limit)};
        })
        .flatMap(n -> agents.list(filter, Paging.after(cursor, AgentRules::isSlug), n[0] + 1).collectList()
            .map(rows -> Paging.page(rows, n[0], Agent::slug)));
  }

  private Mono<Void> organizationsExist(Agent a) {
    return organizations.missing(a.organizations()).collectList().flatMap(missing -> missing.isEmpty()
        ? Mono.<Void>empty()
        : Mono.error(RegistryException.invalid("agent", List.of(new RuleViolation("/organizations", "organization_exists",
            "no organization with slug " + String.join(", ", missing.stream().map(s -> "'" + s + "'").toList())
                + "; create it with POST /api/v1/organizations first")))));
  }

  /** A path slug that cannot exist is a 404 without asking the database. */
  private static Mono<Void> known(String slug, String what) {
    return AgentRules.isSlug(slug) ? Mono.empty() : Mono.error(RegistryException.notFound(what, slug));
  }
}

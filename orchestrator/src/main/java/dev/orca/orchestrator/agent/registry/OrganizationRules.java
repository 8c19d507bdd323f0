package dev.orca.orchestrator.agent.registry;

import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/** Reads an organization from a request body: slug, name, optional description, url (http/https) and settings. */
final class OrganizationRules {
  private static final Set<String> FIELDS = Set.of("slug", "name", "description", "url", "settings");

  private OrganizationRules() {}

  static Organization read(JsonNode body, String pathSlug) {
    if (body == null || !body.isObject()) {
      throw RegistryException.invalid("organization", List.of(new RuleViolation("", "field_type",
          "the body is a JSON object: {\"slug\", \"name\", \"description\", \"url\", \"settings\"}")));
    }
    AgentRules.Checker c = new AgentRules.Checker(body);
    c.unknown("", body, FIELDS);
    String slug = pathSlug != null ? pathSlug : c.string("/slug", true);
    if (pathSlug != null && body.has("slug") && !pathSlug.equals(body.path("slug").asString(null))) {
      c.add("/slug", "slug_format", "an organization cannot be renamed: leave 'slug' out or repeat '" + pathSlug + "'");
    } else if (slug != null && !AgentRules.isSlug(slug)) {
      c.add("/slug", "slug_format", "a slug is 1-128 lowercase letters, digits, '_' or '-', starting with a letter or digit");
    }
    String url = c.string("/url", false);
    if (url != null && !AgentRules.isHttpUrl(url)) {
      c.add("/url", "endpoint_url", "'url' is an absolute http(s) URL");
    }
    JsonNode settings = c.object("/settings", false);
    Organization organization = new Organization(slug, c.string("/name", true), c.string("/description", false), url,
        settings != null ? settings : JsonNodeFactory.instance.objectNode(), null, null);
    c.throwIfAny("organization");
    return organization;
  }
}

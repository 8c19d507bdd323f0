package dev.orca.orchestrator.trigger;

import dev.orca.orchestrator.definition.ConditionException;
import dev.orca.orchestrator.definition.Conditions;
import dev.orca.orchestrator.definition.Interpolator;
import dev.orca.orchestrator.definition.MissingPathException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Decides which workflows an event starts, and with what input and context.
 *
 * <ul>
 *   <li>A subscription routes when its source is the event's, its pattern matches the type and its
 *       {@code filterExpression} (CEL, like a step's {@code when}) is true. Expressions and
 *       {@code inputMapping} see the roots {@link #ROOTS}: {@code event} (id, source, type,
 *       deliveryId, origin, subject, payload), {@code payload} (the provider's body) and {@code repo}.
 *   <li>A registered, enabled GitHub repository's {@code config.auto_workflows} routes by event name:
 *       for {@code com.github.issues.opened} the keys {@code issues_opened}, then {@code issue_opened};
 *       for {@code com.github.pull_request.opened} {@code pull_request_opened}, then {@code pr_opened};
 *       for {@code com.github.push} {@code push}.
 *   <li>The input is the mapping resolved over the roots, or, when a subscription has an empty mapping
 *       or the route is an auto workflow, {@link #defaultInput}.
 * </ul>
 * A subscription whose filter or mapping fails is a failed route; the others still start.
 */
final class Router {
  static final Set<String> ROOTS = Set.of("event", "payload", "repo");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Router() {}

  /** One workflow to start, or why a matching route could not be followed. */
  sealed interface Route {
    String via();

    record Start(String via, String workflow, JsonNode input) implements Route {}

    record Failed(String via, String error) implements Route {}
  }

  /** The execution context roots an event contributes: {@code event} and, for GitHub, {@code repo}. */
  static ObjectNode triggerContext(UUID eventId, WebhookEvent event, ConfiguredRepository registered) {
    ObjectNode context = NODES.objectNode();
    ObjectNode e = context.putObject("event");
    e.put("id", eventId.toString());
    e.put("source", event.source());
    e.put("type", event.type());
    e.put("deliveryId", event.deliveryId());
    e.put("origin", event.origin());
    if (event.subject() == null) {
      e.putNull("subject");
    } else {
      e.put("subject", event.subject());
    }
    e.set("payload", event.payload());
    ObjectNode repo = repo(event, registered);
    if (repo != null) {
      context.set("repo", repo);
    }
    return context;
  }

  /**
   * {@code owner}, {@code name}, {@code full_name} and {@code default_branch} of a GitHub event's
   * repository: the registered row's default branch wins over the payload's. Null for other sources.
   */
  static ObjectNode repo(WebhookEvent event, ConfiguredRepository registered) {
    JsonNode r = event.payload().path("repository");
    String[] ownerName = ownerAndName(event);
    if (ownerName == null) {
      return null;
    }
    ObjectNode repo = NODES.objectNode();
    repo.put("owner", registered != null ? registered.owner() : ownerName[0]);
    repo.put("name", registered != null ? registered.name() : ownerName[1]);
    repo.put("full_name", repo.get("owner").asString() + "/" + repo.get("name").asString());
    String branch = registered != null ? registered.defaultBranch()
        : r.path("default_branch").isString() ? r.path("default_branch").asString() : null;
    if (branch != null) {
      repo.put("default_branch", branch);
    }
    return repo;
  }

  /** The GitHub repository's owner and name from the payload, or null when there is none. */
  static String[] ownerAndName(WebhookEvent event) {
    if (!event.source().equals("github")) {
      return null;
    }
    JsonNode r = event.payload().path("repository");
    String fullName = r.path("full_name").asString("");
    int slash = fullName.indexOf('/');
    if (slash > 0 && slash < fullName.length() - 1) {
      return new String[] {fullName.substring(0, slash), fullName.substring(slash + 1)};
    }
    String owner = r.path("owner").path("login").asString("");
    String name = r.path("name").asString("");
    return owner.isEmpty() || name.isEmpty() ? null : new String[] {owner, name};
  }

  /** Every route of the event, subscriptions first (in name order), then the repository's auto workflow. */
  static List<Route> routes(WebhookEvent event, ObjectNode triggerContext, List<Subscription> subscriptions,
      ConfiguredRepository registered) {
    ObjectNode scope = NODES.objectNode();
    scope.set("event", triggerContext.get("event"));
    scope.set("payload", event.payload());
    scope.set("repo", triggerContext.has("repo") ? triggerContext.get("repo") : NODES.nullNode());
    List<Route> routes = new ArrayList<>();
    for (Subscription s : subscriptions) {
      if (!s.source().equals(event.source()) || !EventTypePattern.of(s.eventTypePattern()).matches(event.type())) {
        continue;
      }
      String via = "subscription '" + s.name() + "'";
      try {
        if (s.filterExpression() != null && !Conditions.compile(s.filterExpression(), ROOTS).test(scope)) {
          continue;
        }
        JsonNode mapping = s.inputMapping();
        JsonNode input = mapping == null || mapping.isEmpty() ? defaultInput(event) : Interpolator.resolve(mapping, scope);
        routes.add(new Route.Start(via, s.workflow(), input));
      } catch (ConditionException e) {
        routes.add(new Route.Failed(via, "filter " + e.getMessage()));
      } catch (MissingPathException e) {
        routes.add(new Route.Failed(via, "inputMapping: " + e.getMessage()));
      }
    }
    String auto = autoWorkflow(event, registered);
    if (auto != null) {
      routes.add(new Route.Start("auto_workflows of " + registered.fullName(), auto, defaultInput(event)));
    }
    return routes;
  }

  /** The workflow the registered repository's {@code auto_workflows} names for this event, or null. */
  static String autoWorkflow(WebhookEvent event, ConfiguredRepository registered) {
    if (registered == null || !registered.enabled() || registered.config() == null || !event.type().startsWith("com.github.")) {
      return null;
    }
    JsonNode auto = registered.config().path("auto_workflows");
    for (String key : autoWorkflowKeys(event.type())) {
      if (auto.path(key).isString()) {
        return auto.path(key).asString();
      }
    }
    return null;
  }

  static List<String> autoWorkflowKeys(String type) {
    String key = type.substring("com.github.".length()).replace('.', '_');
    List<String> keys = new ArrayList<>(List.of(key));
    Map<String, String> aliases = new LinkedHashMap<>();
    aliases.put("issues_", "issue_");
    aliases.put("pull_request_", "pr_");
    aliases.forEach((prefix, alias) -> {
      if (key.startsWith(prefix)) {
        keys.add(alias + key.substring(prefix.length()));
      }
    });
    return keys;
  }

  /**
   * The input when nothing maps one: {@code action}, and for GitHub {@code issue_number} and
   * {@code pull_request_number} when the payload has an issue or pull request (as seed 004's
   * {@code issue_to_pr} expects {@code input.issue_number}).
   */
  static ObjectNode defaultInput(WebhookEvent event) {
    ObjectNode input = NODES.objectNode();
    JsonNode p = event.payload();
    if (p.path("action").isString()) {
      input.put("action", p.path("action").asString());
    }
    if (event.source().equals("github")) {
      if (p.path("issue").path("number").isNumber()) {
        input.set("issue_number", p.path("issue").path("number"));
      }
      if (p.path("pull_request").path("number").isNumber()) {
        input.set("pull_request_number", p.path("pull_request").path("number"));
      }
    }
    return input;
  }
}

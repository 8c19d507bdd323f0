package dev.orca.orchestrator.agent.registry;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.http.HttpStatus;
import org.springframework.web.ErrorResponseException;

/**
 * The registry's problem+json answers: 400 listing every broken rule ({@code errors}: pointer, rule,
 * message; {@code rules}: their names), 404 for an unknown slug, 409 for a taken slug or an organization
 * still in use.
 */
public final class RegistryException extends ErrorResponseException {
  private static final int SUMMARIZED = 5;

  private RegistryException(HttpStatus status, String title, String detail, Throwable cause) {
    super(status, cause);
    getBody().setTitle(title);
    getBody().setDetail(detail);
  }

  static RegistryException invalid(String what, List<RuleViolation> violations) {
    int n = violations.size();
    String summary = violations.stream().limit(SUMMARIZED)
        .map(v -> (v.pointer().isEmpty() ? "" : v.pointer() + ": ") + v.message() + " [" + v.rule() + "]")
        .collect(Collectors.joining("; "));
    RegistryException e = new RegistryException(HttpStatus.BAD_REQUEST, "Invalid " + what,
        n + (n == 1 ? " rule broken: " : " rules broken: ") + summary + (n > SUMMARIZED ? "; …" : ""), null);
    e.getBody().setProperty("rules", violations.stream().map(RuleViolation::rule).distinct().toList());
    e.getBody().setProperty("errors", violations.stream()
        .map(v -> Map.of("pointer", v.pointer(), "rule", v.rule(), "message", v.message())).toList());
    return e;
  }

  static RegistryException notFound(String what, String slug) {
    return new RegistryException(HttpStatus.NOT_FOUND, capitalized(what) + " not found",
        "There is no " + what + " with slug '" + slug + "'.", null);
  }

  static RegistryException exists(String what, String slug, Throwable cause) {
    return new RegistryException(HttpStatus.CONFLICT, capitalized(what) + " already exists",
        "The slug '" + slug + "' is taken; PUT /api/v1/" + what + "s/" + slug + " replaces that " + what + ".", cause);
  }

  static RegistryException inUse(String organization, long agents) {
    RegistryException e = new RegistryException(HttpStatus.CONFLICT, "Organization in use",
        "Organization '" + organization + "' still has " + agents + " agent(s); remove it from their 'organizations' "
            + "or delete them first.", null);
    e.getBody().setProperty("rules", List.of("organization_in_use"));
    return e;
  }

  static RegistryException badQuery(String detail) {
    return new RegistryException(HttpStatus.BAD_REQUEST, "Bad request", detail, null);
  }

  private static String capitalized(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}

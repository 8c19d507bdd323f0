package dev.orca.orchestrator.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class RouterTest {
  @Test
  void patternsMatchWithStarsOverAnyCharacters() {
    assertThat(EventTypePattern.of("com.github.issues.*").matches("com.github.issues.opened")).isTrue();
    assertThat(EventTypePattern.of("com.github.issues.*").matches("com.github.issue_comment.created")).isFalse();
    assertThat(EventTypePattern.of("com.github.*").matches("com.github.pull_request.opened")).isTrue();
    assertThat(EventTypePattern.of("com.github.issues.opened").matches("com.github.issues.opened")).isTrue();
    assertThat(EventTypePattern.of("com.github.issues.opened").matches("com.github.issuesXopened")).as("dots are literal").isFalse();
    assertThat(EventTypePattern.of("*.opened").matches("com.github.pull_request.opened")).isTrue();
    assertThat(EventTypePattern.isValid("com.github.(x)")).isFalse();
    assertThat(TriggerRequests.canMatch("com.github.*", "com.linear.")).isFalse();
    assertThat(TriggerRequests.canMatch("com.*", "com.linear.")).isTrue();
    assertThat(TriggerRequests.canMatch("*", "com.slack.")).isTrue();
  }

  @Test
  void autoWorkflowKeysAcceptGithubNamesAndTheSeedsShortNames() {
    assertThat(Router.autoWorkflowKeys("com.github.issues.opened")).containsExactly("issues_opened", "issue_opened");
    assertThat(Router.autoWorkflowKeys("com.github.pull_request.closed")).containsExactly("pull_request_closed", "pr_closed");
    assertThat(Router.autoWorkflowKeys("com.github.push")).containsExactly("push");
  }

  @Test
  void aFilterFailureIsAFailedRouteAndOtherRoutesStillStart() {
    ObjectNode payload = WebhookRecords.issueOpened("octo", "app");
    WebhookEvent event = new WebhookEvent("github", "com.github.issues.opened", "d-1", "https://github.com/octo/app", "1", payload);
    ObjectNode context = Router.triggerContext(UUID.randomUUID(), event, null);
    Subscription failing = subscription("a", "payload.no_such.field == 1");
    Subscription starting = subscription("b", "payload.issue.number == 1");
    Subscription filtered = subscription("c", "payload.issue.number == 2");
    List<Router.Route> routes = Router.routes(event, context, List.of(failing, starting, filtered), null);
    assertThat(routes).hasSize(2);
    assertThat(routes.get(0)).isInstanceOf(Router.Route.Failed.class);
    assertThat(routes.get(1)).isEqualTo(new Router.Route.Start("subscription 'b'", "wf",
        WebhookRecords.JSON.readTree("{\"action\": \"opened\", \"issue_number\": 1}")));
  }

  private static Subscription subscription(String name, String filter) {
    return new Subscription(UUID.randomUUID(), name, "github", "com.github.issues.*", filter, "wf",
        WebhookRecords.JSON.createObjectNode(), true, null, null);
  }
}

package dev.orca.ingest.provider;

import java.util.Set;

/**
 * The {@code event} label of {@code orca_ingest_webhooks_total} is kept bounded: a provider's known
 * event names pass, anything else is {@value #OTHER}, and a request not read far enough is
 * {@value #UNKNOWN}.
 */
public final class EventLabels {
  public static final String OTHER = "other";
  public static final String UNKNOWN = "unknown";

  /** GitHub's webhook events (X-GitHub-Event), as documented by GitHub. */
  static final Set<String> GITHUB = Set.of(
      "branch_protection_configuration", "branch_protection_rule", "check_run", "check_suite",
      "code_scanning_alert", "commit_comment", "create", "custom_property", "custom_property_values", "delete",
      "dependabot_alert", "deploy_key", "deployment", "deployment_protection_rule", "deployment_review",
      "deployment_status", "discussion", "discussion_comment", "fork", "github_app_authorization", "gollum",
      "installation", "installation_repositories", "installation_target", "issue_comment", "issue_dependencies",
      "issues", "label", "marketplace_purchase", "member", "membership", "merge_group", "meta", "milestone",
      "org_block", "organization", "package", "page_build", "personal_access_token_request", "ping", "project",
      "project_card", "project_column", "projects_v2", "projects_v2_item", "projects_v2_status_update", "public",
      "pull_request", "pull_request_review", "pull_request_review_comment", "pull_request_review_thread", "push",
      "registry_package", "release", "repository", "repository_advisory", "repository_dispatch",
      "repository_import", "repository_ruleset", "repository_vulnerability_alert", "secret_scanning_alert",
      "secret_scanning_alert_location", "secret_scanning_scan", "security_advisory", "security_and_analysis",
      "sponsorship", "star", "status", "sub_issues", "team", "team_add", "watch", "workflow_dispatch",
      "workflow_job", "workflow_run");

  /** Linear's webhook model types ({@code type} in the body, {@code Linear-Event} header). */
  static final Set<String> LINEAR = Set.of(
      "Issue", "Comment", "IssueLabel", "Reaction", "Project", "ProjectUpdate", "Cycle", "Attachment",
      "Document", "Initiative", "InitiativeUpdate", "Customer", "CustomerNeed", "User", "IssueSLA", "OAuthApp",
      "AppUserNotification", "PermissionChange", "AuditEntry", "AgentSessionEvent");

  /** Slack Events API types an app commonly subscribes to, plus the envelope types. */
  static final Set<String> SLACK = Set.of(
      "message", "app_mention", "reaction_added", "reaction_removed", "member_joined_channel",
      "member_left_channel", "channel_created", "channel_deleted", "channel_rename", "channel_archive",
      "channel_unarchive", "channel_shared", "channel_unshared", "team_join", "user_change", "app_home_opened",
      "app_uninstalled", "tokens_revoked", "file_shared", "file_created", "file_deleted", "file_change",
      "link_shared", "pin_added", "pin_removed", "emoji_changed", "star_added", "star_removed",
      "assistant_thread_started", "assistant_thread_context_changed", "url_verification", "app_rate_limited");

  private EventLabels() {}

  static String of(Set<String> known, String name) {
    if (name == null || name.isEmpty()) {
      return UNKNOWN;
    }
    return known.contains(name) ? name : OTHER;
  }
}

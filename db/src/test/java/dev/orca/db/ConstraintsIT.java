package dev.orca.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Every rule the schema enforces refuses a bad row with the expected SQLState and constraint name
 * (the names are API: problem messages are mapped from them), and accepts the good rows.
 */
class ConstraintsIT {
  static final String CHECK = "23514";
  static final String UNIQUE = "23505";
  static final String FOREIGN_KEY = "23503";
  static final String NOT_NULL = "23502";
  static final OffsetDateTime LONG_AGO = OffsetDateTime.parse("2000-01-01T00:00:00Z");
  static final AtomicInteger seq = new AtomicInteger();

  static TestDatabase db;
  static Connection c;

  @BeforeAll
  static void migrate() throws SQLException {
    db = TestPostgres.get().freshDatabase("db_constraints");
    Migrations.flyway(db);
    c = db.connect();
  }

  @AfterAll
  static void close() throws SQLException {
    c.close();
  }

  // ---------------------------------------------------------------- workflows and versions

  @Nested
  class Workflows {
    @Test
    void goodWorkflowIsAcceptedWithDefaults() throws SQLException {
      UUID wf = workflow();
      assertThat(one("SELECT version || ',' || enabled FROM workflows WHERE id = ?", wf)).isEqualTo("1,true");
      assertThat(one("SELECT count(*) FROM workflow_versions WHERE workflow_id = ?", wf)).isEqualTo("1");
    }

    @Test
    void nameIsUnique() throws SQLException {
      String name = unique("wf");
      update("INSERT INTO workflows (name, definition) VALUES (?, '{\"steps\":[]}')", name);
      rejected(UNIQUE, "uq_workflows_name", "INSERT INTO workflows (name, definition) VALUES (?, '{\"steps\":[]}')", name);
    }

    @Test
    void versionIsPositiveAndDefinitionAnObject() {
      rejected(CHECK, "chk_workflows_version_positive",
          "INSERT INTO workflows (name, definition, version) VALUES (?, '{}', 0)", unique("wf"));
      rejected(CHECK, "chk_workflows_definition_is_object",
          "INSERT INTO workflows (name, definition) VALUES (?, '[]')", unique("wf"));
      rejectedNull("definition", "INSERT INTO workflows (name) VALUES (?)", unique("wf"));
      rejectedNull("name", "INSERT INTO workflows (definition) VALUES ('{}')");
    }

    @Test
    void versionsAreUniquePerWorkflowAndBelongToOne() throws SQLException {
      UUID wf = workflow();
      update("INSERT INTO workflow_versions (workflow_id, version, definition) VALUES (?, 2, '{\"steps\":[]}')", wf);
      rejected(UNIQUE, "pk_workflow_versions",
          "INSERT INTO workflow_versions (workflow_id, version, definition) VALUES (?, 2, '{}')", wf);
      rejected(FOREIGN_KEY, "fk_workflow_versions_workflow",
          "INSERT INTO workflow_versions (workflow_id, version, definition) VALUES (?, 1, '{}')", UUID.randomUUID());
      rejected(CHECK, "chk_workflow_versions_version_positive",
          "INSERT INTO workflow_versions (workflow_id, version, definition) VALUES (?, 0, '{}')", wf);
      rejected(CHECK, "chk_workflow_versions_definition_is_object",
          "INSERT INTO workflow_versions (workflow_id, version, definition) VALUES (?, 3, '\"x\"')", wf);
    }

    @Test
    void deletingAWorkflowRemovesItsVersionsExecutionsAndSteps() throws SQLException {
      UUID wf = workflow();
      UUID ex = execution(wf);
      step(ex, 0);
      assertThat(update("DELETE FROM workflows WHERE id = ?", wf)).isEqualTo(1);
      assertThat(one("SELECT count(*) FROM workflow_versions WHERE workflow_id = ?", wf)).isEqualTo("0");
      assertThat(one("SELECT count(*) FROM workflow_executions WHERE id = ?", ex)).isEqualTo("0");
      assertThat(one("SELECT count(*) FROM workflow_steps WHERE execution_id = ?", ex)).isEqualTo("0");
    }

    @Test
    void aVersionInUseCannotBeDeletedAlone() throws SQLException {
      UUID wf = workflow();
      execution(wf);
      rejected(FOREIGN_KEY, "fk_workflow_executions_workflow_version",
          "DELETE FROM workflow_versions WHERE workflow_id = ? AND version = 1", wf);
    }
  }

  // ---------------------------------------------------------------- executions

  @Nested
  class Executions {
    @Test
    void goodExecutionGetsEngineDefaults() throws SQLException {
      UUID ex = execution(workflow());
      assertThat(one("""
          SELECT status || ',' || current_step_index || ',' || (next_run_at <= now())
                 || ',' || (lease_owner IS NULL) || ',' || workflow_version
          FROM workflow_executions WHERE id = ?""", ex)).isEqualTo("pending,0,true,true,1");
    }

    @Test
    void statusIsOneOfTheLifecycleStates() throws SQLException {
      UUID wf = workflow();
      for (String s : new String[] {"pending", "running", "completed", "failed", "cancelled"}) {
        update("INSERT INTO workflow_executions (workflow_id, workflow_version, status) VALUES (?, 1, ?)", wf, s);
      }
      rejected(CHECK, "chk_execution_status",
          "INSERT INTO workflow_executions (workflow_id, workflow_version, status) VALUES (?, 1, 'paused')", wf);
    }

    @Test
    void runsAnExistingVersionOfAnExistingWorkflow() throws SQLException {
      UUID wf = workflow();
      rejectedNull("workflow_version", "INSERT INTO workflow_executions (workflow_id) VALUES (?)", wf);
      rejectedNull("workflow_id", "INSERT INTO workflow_executions (workflow_version) VALUES (1)");
      rejected(FOREIGN_KEY, "fk_workflow_executions_workflow_version",
          "INSERT INTO workflow_executions (workflow_id, workflow_version) VALUES (?, 2)", wf);
      rejected(FOREIGN_KEY, "fk_workflow_executions_workflow",
          "INSERT INTO workflow_executions (workflow_id, workflow_version) VALUES (?, 1)", UUID.randomUUID());
    }

    @Test
    void idempotencyKeyIsUniquePerWorkflow() throws SQLException {
      UUID wf = workflow();
      UUID other = workflow();
      String sql = "INSERT INTO workflow_executions (workflow_id, workflow_version, idempotency_key) VALUES (?, 1, ?)";
      update(sql, wf, "key-1");
      update(sql, other, "key-1");
      update(sql, wf, null);
      update(sql, wf, null);
      rejected(UNIQUE, "uq_workflow_executions_workflow_idempotency_key", sql, wf, "key-1");
      rejected(CHECK, "chk_workflow_executions_idempotency_key_not_blank", sql, wf, " ");
    }

    @Test
    void triggerEventIsAnEventAndUniquePerWorkflow() throws SQLException {
      UUID wf = workflow();
      UUID other = workflow();
      UUID ev = event("github", unique("delivery"));
      String sql = "INSERT INTO workflow_executions (workflow_id, workflow_version, trigger_event_id) VALUES (?, 1, ?)";
      update(sql, wf, ev);
      update(sql, other, ev);
      rejected(UNIQUE, "uq_workflow_executions_workflow_trigger_event", sql, wf, ev);
      rejected(FOREIGN_KEY, "fk_workflow_executions_trigger_event", sql, wf, UUID.randomUUID());
    }

    @Test
    void purgingTheTriggerEventKeepsTheExecution() throws SQLException {
      UUID wf = workflow();
      UUID ev = event("slack", unique("delivery"));
      UUID ex = uuid("INSERT INTO workflow_executions (workflow_id, workflow_version, trigger_event_id)"
          + " VALUES (?, 1, ?) RETURNING id", wf, ev);
      update("DELETE FROM events WHERE id = ?", ev);
      assertThat(one("SELECT coalesce(trigger_event_id::text, 'null') FROM workflow_executions WHERE id = ?", ex))
          .isEqualTo("null");
    }

    @Test
    void leaseOwnerAndExpiryGoTogether() throws SQLException {
      UUID ex = execution(workflow());
      rejected(CHECK, "chk_workflow_executions_lease_owner_and_expiry_together",
          "UPDATE workflow_executions SET lease_owner = 'replica-1' WHERE id = ?", ex);
      rejected(CHECK, "chk_workflow_executions_lease_owner_and_expiry_together",
          "UPDATE workflow_executions SET lease_expires_at = now() WHERE id = ?", ex);
      assertThat(update("UPDATE workflow_executions SET lease_owner = 'replica-1',"
          + " lease_expires_at = now() + interval '30 seconds' WHERE id = ?", ex)).isEqualTo(1);
    }

    @Test
    void progressIsNonNegativeAndWakeUpNotNull() throws SQLException {
      UUID ex = execution(workflow());
      rejected(CHECK, "chk_workflow_executions_current_step_index_non_negative",
          "UPDATE workflow_executions SET current_step_index = -1 WHERE id = ?", ex);
      rejectedNull("next_run_at", "UPDATE workflow_executions SET next_run_at = NULL WHERE id = ?", ex);
      rejectedNull("status", "UPDATE workflow_executions SET status = NULL WHERE id = ?", ex);
    }
  }

  // ---------------------------------------------------------------- steps

  @Nested
  class Steps {
    @Test
    void everyStepStatusIncludingCancelledIsAccepted() throws SQLException {
      UUID ex = execution(workflow());
      String[] statuses = {"pending", "running", "completed", "failed", "skipped", "cancelled"};
      for (int i = 0; i < statuses.length; i++) {
        update("INSERT INTO workflow_steps (execution_id, step_name, step_index, status) VALUES (?, ?, ?, ?)",
            ex, "s" + i, i, statuses[i]);
      }
      rejected(CHECK, "chk_step_status",
          "INSERT INTO workflow_steps (execution_id, step_name, step_index, status) VALUES (?, 'x', 99, 'waiting')", ex);
    }

    @Test
    void oneStepPerIndexOfAnExecution() throws SQLException {
      UUID ex = execution(workflow());
      step(ex, 0);
      step(execution(workflow()), 0);
      rejected(UNIQUE, "uq_workflow_steps_execution_step_index",
          "INSERT INTO workflow_steps (execution_id, step_name, step_index) VALUES (?, 'again', 0)", ex);
    }

    @Test
    void stepBelongsToAnExecutionAndCountsAreNonNegative() throws SQLException {
      UUID ex = execution(workflow());
      rejectedNull("execution_id", "INSERT INTO workflow_steps (step_name, step_index) VALUES ('a', 0)");
      rejectedNull("step_name", "INSERT INTO workflow_steps (execution_id, step_index) VALUES (?, 0)", ex);
      rejected(FOREIGN_KEY, "fk_workflow_steps_execution",
          "INSERT INTO workflow_steps (execution_id, step_name, step_index) VALUES (?, 'a', 0)", UUID.randomUUID());
      rejected(CHECK, "chk_workflow_steps_step_index_non_negative",
          "INSERT INTO workflow_steps (execution_id, step_name, step_index) VALUES (?, 'a', -1)", ex);
      rejected(CHECK, "chk_workflow_steps_retry_count_non_negative",
          "INSERT INTO workflow_steps (execution_id, step_name, step_index, retry_count) VALUES (?, 'a', 0, -1)", ex);
      rejected(CHECK, "chk_workflow_steps_duration_non_negative",
          "INSERT INTO workflow_steps (execution_id, step_name, step_index, duration_ms) VALUES (?, 'a', 0, -5)", ex);
    }
  }

  // ---------------------------------------------------------------- servers, repositories

  @Nested
  class ServersAndRepositories {
    @Test
    void serverNameIsUniqueAndHasNoDot() throws SQLException {
      String name = unique("srv");
      server(name);
      rejected(UNIQUE, "uq_mcp_servers_name", "INSERT INTO mcp_servers (name, endpoint) VALUES (?, 'http://x')", name);
      rejected(CHECK, "chk_mcp_servers_name_no_dot",
          "INSERT INTO mcp_servers (name, endpoint) VALUES ('git.hub', 'http://x')");
      rejectedNull("endpoint", "INSERT INTO mcp_servers (name) VALUES (?)", unique("srv"));
    }

    @Test
    void repositoryFullNameIsGeneratedAndOwnerNameUnique() throws SQLException {
      String owner = unique("owner");
      UUID repo = uuid("INSERT INTO repositories (owner, name) VALUES (?, 'orca') RETURNING id", owner);
      assertThat(one("SELECT full_name || ' ' || default_branch || ' ' || enabled FROM repositories WHERE id = ?", repo))
          .isEqualTo(owner + "/orca main true");
      rejected(UNIQUE, "uq_repositories_owner_name", "INSERT INTO repositories (owner, name) VALUES (?, 'orca')", owner);
    }
  }

  // ---------------------------------------------------------------- agent runs, tool calls

  @Nested
  class RunsAndToolCalls {
    @Test
    void agentRunNamesARegisteredAgentAndSurvivesItsDeletion() throws SQLException {
      String slug = contextAgent();
      UUID ex = execution(workflow());
      UUID run = uuid("INSERT INTO agent_runs (execution_id, agent_type, agent_slug) VALUES (?, 'context', ?) RETURNING id",
          ex, slug);
      rejected(FOREIGN_KEY, "fk_agent_runs_agent",
          "INSERT INTO agent_runs (execution_id, agent_type, agent_slug) VALUES (?, 'context', 'no-such-agent')", ex);
      rejectedNull("agent_type", "INSERT INTO agent_runs (execution_id) VALUES (?)", ex);
      update("DELETE FROM agents WHERE slug = ?", slug);
      assertThat(one("SELECT coalesce(agent_slug, 'null') FROM agent_runs WHERE id = ?", run)).isEqualTo("null");
    }

    @Test
    void agentRunCountersAreNonNegative() throws SQLException {
      UUID ex = execution(workflow());
      rejected(CHECK, "chk_agent_runs_tokens_non_negative",
          "INSERT INTO agent_runs (execution_id, agent_type, prompt_tokens) VALUES (?, 'context', -1)", ex);
      rejected(CHECK, "chk_agent_runs_cost_non_negative",
          "INSERT INTO agent_runs (execution_id, agent_type, cost_usd) VALUES (?, 'context', -0.01)", ex);
    }

    @Test
    void toolCallDefaultsAndClosedValueSets() throws SQLException {
      UUID ex = execution(workflow());
      UUID call = uuid("INSERT INTO mcp_tool_calls (execution_id, server_name, tool_name) VALUES (?, 'github', 'getIssue')"
          + " RETURNING id", ex);
      assertThat(one("SELECT status || ',' || source || ',' || attempt || ',' || coalesce(outcome, 'null')"
          + " FROM mcp_tool_calls WHERE id = ?", call)).isEqualTo("started,external,1,null");
      for (String status : new String[] {"completed", "failed", "cancelled"}) {
        update("UPDATE mcp_tool_calls SET status = ? WHERE id = ?", status, call);
      }
      for (String outcome : new String[] {"success", "tool_error", "upstream_error", "timeout", "cancelled", "rejected"}) {
        update("UPDATE mcp_tool_calls SET outcome = ? WHERE id = ?", outcome, call);
      }
      update("UPDATE mcp_tool_calls SET source = 'orchestrator' WHERE id = ?", call);
      rejected(CHECK, "chk_mcp_tool_calls_status", "UPDATE mcp_tool_calls SET status = 'done' WHERE id = ?", call);
      rejected(CHECK, "chk_mcp_tool_calls_outcome", "UPDATE mcp_tool_calls SET outcome = 'ok' WHERE id = ?", call);
      rejected(CHECK, "chk_mcp_tool_calls_source", "UPDATE mcp_tool_calls SET source = 'agent' WHERE id = ?", call);
      rejected(CHECK, "chk_mcp_tool_calls_attempt_positive", "UPDATE mcp_tool_calls SET attempt = 0 WHERE id = ?", call);
      rejectedNull("server_name", "UPDATE mcp_tool_calls SET server_name = NULL WHERE id = ?", call);
    }

    @Test
    void toolCallKeepsItsAuditWhenItsStepGoes() throws SQLException {
      UUID ex = execution(workflow());
      UUID st = step(ex, 0);
      UUID call = uuid("INSERT INTO mcp_tool_calls (execution_id, step_id, server_name, tool_name, source)"
          + " VALUES (?, ?, 'github', 'getIssue', 'orchestrator') RETURNING id", ex, st);
      rejected(FOREIGN_KEY, "fk_mcp_tool_calls_step",
          "INSERT INTO mcp_tool_calls (step_id, server_name, tool_name) VALUES (?, 'github', 'getIssue')", UUID.randomUUID());
      update("DELETE FROM workflow_steps WHERE id = ?", st);
      assertThat(one("SELECT coalesce(step_id::text, 'null') FROM mcp_tool_calls WHERE id = ?", call)).isEqualTo("null");
    }
  }

  // ---------------------------------------------------------------- organizations, agents

  @Nested
  class OrganizationsAndAgents {
    @Test
    void organizationSlugIsThePrimaryKey() throws SQLException {
      String slug = unique("org");
      update("INSERT INTO organizations (slug, name) VALUES (?, 'Acme')", slug);
      assertThat(one("SELECT settings::text FROM organizations WHERE slug = ?", slug)).isEqualTo("{}");
      rejected(UNIQUE, "pk_organizations", "INSERT INTO organizations (slug, name) VALUES (?, 'Again')", slug);
      rejectedNull("name", "INSERT INTO organizations (slug) VALUES (?)", unique("org"));
    }

    @Test
    void goodAgentsOfEachTypeAreAccepted() throws SQLException {
      String context = contextAgent();
      String api = agent("api", "'{\"url\": \"http://localhost:8000/webhook\"}'", "NULL");
      String external = agent("external", "'{\"url\": \"https://a2a.example/agent\"}'", "NULL");
      assertThat(one("SELECT count(*) FROM agents WHERE slug IN (?, ?, ?)", context, api, external)).isEqualTo("3");
      assertThat(one("SELECT array_to_string(organization_slug, ',') || ' ' || version || ' ' || metadata::text"
          + " FROM agents WHERE slug = ?", context)).isEqualTo("demo-org 1.0.0 {}");
    }

    @Test
    void agentTypeIsContextApiOrExternal() {
      rejected(CHECK, "chk_agents_agent_type", agentSql("llm", "NULL", "'{}'"), unique("agent"));
    }

    @Test
    void contextAgentNeedsLlmConfigAndNoEndpoint() {
      String rule = "chk_agents_context_needs_llm_config_no_endpoint";
      rejected(CHECK, rule, agentSql("context", "NULL", "NULL"), unique("agent"));
      rejected(CHECK, rule, agentSql("context", "'{\"url\": \"http://x\"}'", "'{\"model\": \"m\"}'"), unique("agent"));
      rejected(CHECK, rule, agentSql("context", "NULL", "'null'"), unique("agent"));
    }

    @Test
    void apiAndExternalAgentsNeedEndpointAndNoLlmConfig() {
      String rule = "chk_agents_api_external_need_endpoint_no_llm_config";
      for (String type : new String[] {"api", "external"}) {
        rejected(CHECK, rule, agentSql(type, "NULL", "NULL"), unique("agent"));
        rejected(CHECK, rule, agentSql(type, "'{\"url\": \"http://x\"}'", "'{\"model\": \"m\"}'"), unique("agent"));
      }
    }

    @Test
    void agentSlugIsUniqueAndRequiredColumnsAreRequired() throws SQLException {
      String slug = contextAgent();
      rejected(UNIQUE, "pk_agents", agentSql("context", "NULL", "'{\"model\": \"m\"}'"), slug);
      rejectedNull("io_schema", """
          INSERT INTO agents (slug, name, description, agent_type, department, capabilities, context, llm_config)
          VALUES (?, 'n', 'd', 'context', 'eng', ARRAY['x'], 'prompt', '{}')""", unique("agent"));
      rejectedNull("capabilities", """
          INSERT INTO agents (slug, name, description, agent_type, department, io_schema, context, llm_config)
          VALUES (?, 'n', 'd', 'context', 'eng', '{}', 'prompt', '{}')""", unique("agent"));
    }
  }

  // ---------------------------------------------------------------- events, subscriptions

  @Nested
  class EventsAndSubscriptions {
    @Test
    void eventSourceAndStatusAreClosedSets() throws SQLException {
      UUID ev = event("linear", unique("delivery"));
      for (String s : new String[] {"processing", "processed", "failed", "ignored", "pending"}) {
        update("UPDATE events SET status = ? WHERE id = ?", s, ev);
      }
      rejected(CHECK, "chk_events_source",
          "INSERT INTO events (source, event_type, delivery_id, payload) VALUES ('gitlab', 't', ?, '{}')", unique("d"));
      rejected(CHECK, "chk_events_status", "UPDATE events SET status = 'done' WHERE id = ?", ev);
      rejectedNull("payload", "INSERT INTO events (source, event_type, delivery_id) VALUES ('github', 't', ?)", unique("d"));
    }

    @Test
    void deliveryIsUniquePerSource() throws SQLException {
      String delivery = unique("delivery");
      event("github", delivery);
      event("slack", delivery);
      rejected(UNIQUE, "uq_events_source_delivery_id",
          "INSERT INTO events (source, event_type, delivery_id, payload) VALUES ('github', 't', ?, '{}')", delivery);
    }

    @Test
    void subscriptionRulesHold() throws SQLException {
      UUID wf = workflow();
      String name = unique("sub");
      String sql = "INSERT INTO event_subscriptions (name, source, event_type_pattern, workflow_id, input_mapping)"
          + " VALUES (?, ?, ?, ?, ?::jsonb)";
      update(sql, name, "github", "com.github.issues.*", wf, "{\"issue_number\": \"event.issue.number\"}");
      rejected(UNIQUE, "uq_event_subscriptions_name", sql, name, "github", "x", wf, "{}");
      rejected(CHECK, "chk_event_subscriptions_source", sql, unique("sub"), "jira", "x", wf, "{}");
      rejected(FOREIGN_KEY, "fk_event_subscriptions_workflow", sql, unique("sub"), "github", "x", UUID.randomUUID(), "{}");
      rejected(CHECK, "chk_event_subscriptions_input_mapping_is_object", sql, unique("sub"), "github", "x", wf, "[]");
      rejected(CHECK, "chk_event_subscriptions_event_type_pattern_not_blank", sql, unique("sub"), "github", "", wf, "{}");
      rejectedNull("workflow_id", sql, unique("sub"), "github", "x", null, "{}");
    }
  }

  // ---------------------------------------------------------------- error patterns

  @Nested
  class ErrorPatterns {
    static final String INSERT = "INSERT INTO error_patterns (error_hash, error_type, error_message, workflow_id, step_name)"
        + " VALUES (?, 'TimeoutException', 'call to <server> timed out after <n> ms', ?, 'fetch_issue')";

    @Test
    void hashIsUniqueAndUpsertCountsOccurrences() throws SQLException {
      UUID wf = workflow();
      String hash = sha256Hex();
      update(INSERT, hash, wf);
      rejected(UNIQUE, "uq_error_patterns_error_hash", INSERT, hash, wf);
      update(INSERT + " ON CONFLICT (error_hash) DO UPDATE SET occurrence_count = error_patterns.occurrence_count + 1,"
          + " last_seen = now()", hash, wf);
      assertThat(one("SELECT occurrence_count || ',' || severity || ',' || auto_fixable FROM error_patterns"
          + " WHERE error_hash = ?", hash)).isEqualTo("2,medium,false");
    }

    @Test
    void valuesAreChecked() throws SQLException {
      UUID wf = workflow();
      rejected(CHECK, "chk_error_patterns_error_hash_sha256_hex", INSERT, "not-a-hash", wf);
      rejected(CHECK, "chk_error_patterns_error_hash_sha256_hex", INSERT, sha256Hex().toUpperCase(), wf);
      String hash = sha256Hex();
      update(INSERT, hash, wf);
      rejected(CHECK, "chk_error_patterns_occurrence_count_positive",
          "UPDATE error_patterns SET occurrence_count = 0 WHERE error_hash = ?", hash);
      rejected(CHECK, "chk_error_patterns_severity",
          "UPDATE error_patterns SET severity = 'fatal' WHERE error_hash = ?", hash);
      rejected(CHECK, "chk_error_patterns_last_seen_not_before_first_seen",
          "UPDATE error_patterns SET last_seen = first_seen - interval '1 second' WHERE error_hash = ?", hash);
      for (String severity : new String[] {"low", "medium", "high", "critical"}) {
        update("UPDATE error_patterns SET severity = ? WHERE error_hash = ?", severity, hash);
      }
      rejected(FOREIGN_KEY, "fk_error_patterns_workflow", INSERT, sha256Hex(), UUID.randomUUID());
      update("DELETE FROM workflows WHERE id = ?", wf);
      assertThat(one("SELECT coalesce(workflow_id::text, 'null') || ' ' || step_name FROM error_patterns"
          + " WHERE error_hash = ?", hash)).isEqualTo("null fetch_issue");
    }
  }

  // ---------------------------------------------------------------- capabilities, tools

  @Nested
  class CapabilitiesAndTools {
    static final String CAPABILITY = "INSERT INTO capabilities (name, display_name, category, action, parent_id)"
        + " VALUES (?, 'Cap', 'data', 'parse', ?) RETURNING id";

    @Test
    void capabilityTaxonomyRules() throws SQLException {
      String name = "data." + unique("csv") + ".parse";
      UUID parent = uuid(CAPABILITY, "data." + unique("csv"), null);
      UUID child = uuid(CAPABILITY, name, parent);
      assertThat(one("SELECT examples::text || related_capabilities::text FROM capabilities WHERE id = ?", child))
          .isEqualTo("[][]");
      rejected(UNIQUE, "uq_capabilities_name", CAPABILITY, name, null);
      rejected(CHECK, "chk_capabilities_name_dotted", CAPABILITY, "Data CSV", null);
      rejected(FOREIGN_KEY, "fk_capabilities_parent", CAPABILITY, "data." + unique("x"), UUID.randomUUID());
      rejected(FOREIGN_KEY, "fk_capabilities_parent", "DELETE FROM capabilities WHERE id = ?", parent);
      rejected(CHECK, "chk_capabilities_not_own_parent", "UPDATE capabilities SET parent_id = id WHERE id = ?", child);
      rejected(CHECK, "chk_capabilities_examples_is_array",
          "UPDATE capabilities SET examples = '{}' WHERE id = ?", child);
      rejected(CHECK, "chk_capabilities_related_is_array",
          "UPDATE capabilities SET related_capabilities = '\"x\"' WHERE id = ?", child);
    }

    @Test
    void toolCatalogueRules() throws SQLException {
      String srvName = unique("srv");
      UUID srv = server(srvName);
      String insert = "INSERT INTO tools (server_id, name, qualified_name, capabilities) VALUES (?, ?, ?, ARRAY['issues.read'])"
          + " RETURNING id";
      UUID tool = uuid(insert, srv, "getIssue", srvName + ".getIssue");
      assertThat(one("SELECT usage_count + success_count + failure_count || ' ' || input_schema::text FROM tools"
          + " WHERE id = ?", tool)).isEqualTo("0 {\"type\": \"object\"}");
      rejected(UNIQUE, "uq_tools_server_name", insert, srv, "getIssue", "other.getIssue");
      rejected(UNIQUE, "uq_tools_qualified_name", insert, server(unique("srv")), "getIssue", srvName + ".getIssue");
      rejected(CHECK, "chk_tools_qualified_name_is_server_dot_name", insert, srv, "listIssues", srvName + ".getIssue");
      rejected(CHECK, "chk_tools_qualified_name_is_server_dot_name", insert, srv, "listIssues", "listIssues");
      rejected(FOREIGN_KEY, "fk_tools_server", insert, UUID.randomUUID(), "x", "s.x");
      rejected(CHECK, "chk_tools_usage_count_non_negative", "UPDATE tools SET usage_count = -1 WHERE id = ?", tool);
      rejected(CHECK, "chk_tools_success_count_non_negative", "UPDATE tools SET success_count = -1 WHERE id = ?", tool);
      rejected(CHECK, "chk_tools_failure_count_non_negative", "UPDATE tools SET failure_count = -1 WHERE id = ?", tool);
      update("DELETE FROM mcp_servers WHERE id = ?", srv);
      assertThat(one("SELECT count(*) FROM tools WHERE id = ?", tool)).isEqualTo("0");
    }
  }

  // ---------------------------------------------------------------- outboxes

  @Nested
  class Outboxes {
    static final String WEBHOOK = "INSERT INTO webhook_outbox (source, delivery_id, topic, record_key, headers, payload)"
        + " VALUES (?, ?, 'orca.webhooks.github', 'acme/orca', '{\"ce_type\": \"com.github.issues.opened\"}', ?)"
        + " RETURNING id";

    @Test
    void webhookOutboxDeduplicatesDeliveriesAndOrdersById() throws SQLException {
      String delivery = unique("delivery");
      long first = Long.parseLong(one(WEBHOOK, "github", delivery, new byte[] {'{', '}'}));
      long second = Long.parseLong(one(WEBHOOK, "slack", delivery, new byte[] {'{', '}'}));
      assertThat(second).isGreaterThan(first);
      rejected(UNIQUE, "uq_webhook_outbox_source_delivery_id", WEBHOOK, "github", delivery, new byte[0]);
      rejected(CHECK, "chk_webhook_outbox_source", WEBHOOK, "gitlab", unique("d"), new byte[0]);
      rejectedNull("delivery_id", WEBHOOK, "github", null, new byte[0]);
      // V11: a delivery being sent directly is recorded without its payload
      assertThat(one(WEBHOOK, "github", unique("d"), null)).isNotEmpty();
    }

    @Test
    void executionOutboxAcceptsLifecycleEvents() throws SQLException {
      String sql = "INSERT INTO execution_outbox (execution_id, event_type, payload) VALUES (?, ?, '{}') RETURNING id";
      long a = Long.parseLong(one(sql, UUID.randomUUID(), "execution.started"));
      long b = Long.parseLong(one(sql, UUID.randomUUID(), "step.completed"));
      assertThat(b).isGreaterThan(a);
      rejectedNull("event_type", sql, UUID.randomUUID(), null);
    }
  }

  // ---------------------------------------------------------------- updated_at trigger

  @Nested
  class UpdatedAt {
    @Test
    void updateMovesUpdatedAtAndKeepsCreatedAt() throws SQLException {
      UUID wf = workflow();
      assertMovesOnUpdate("workflows", "id", wf, "description = 'changed'");
      assertMovesOnUpdate("workflow_executions", "id", execution(wf), "status = 'running'");
      assertMovesOnUpdate("agents", "slug", contextAgent(), "description = 'changed'");
      String srv = unique("srv");
      UUID server = server(srv);
      assertMovesOnUpdate("mcp_servers", "id", server, "endpoint = 'http://elsewhere/mcp'");
      UUID tool = uuid("INSERT INTO tools (server_id, name, qualified_name) VALUES (?, 't', ?) RETURNING id", server, srv + ".t");
      assertMovesOnUpdate("tools", "id", tool, "usage_count = usage_count + 1");
      assertMovesOnUpdate("events", "id", event("github", unique("d")), "status = 'processed'");
    }

    @Test
    void healthChecksDoNotMoveAServersUpdatedAt() throws SQLException {
      UUID server = server(unique("srv"));
      update("ALTER TABLE mcp_servers DISABLE TRIGGER trg_mcp_servers_set_updated_at");
      update("UPDATE mcp_servers SET updated_at = ? WHERE id = ?", LONG_AGO, server);
      update("ALTER TABLE mcp_servers ENABLE TRIGGER trg_mcp_servers_set_updated_at");
      update("UPDATE mcp_servers SET health_status = 'down', last_health_check = now() WHERE id = ?", server);
      assertThat(one("SELECT (updated_at = ?)::text FROM mcp_servers WHERE id = ?", LONG_AGO, server)).isEqualTo("true");
    }

    @Test
    void anExplicitUpdatedAtIsOverriddenByTheTrigger() throws SQLException {
      UUID wf = workflow();
      update("UPDATE workflows SET updated_at = '1999-01-01T00:00:00Z' WHERE id = ?", wf);
      assertThat(one("SELECT (updated_at > now() - interval '1 hour')::text FROM workflows WHERE id = ?", wf))
          .isEqualTo("true");
    }

    private void assertMovesOnUpdate(String table, String key, Object id, String set) throws SQLException {
      update("UPDATE " + table + " SET created_at = ?, updated_at = ? WHERE " + key + " = ?", LONG_AGO, LONG_AGO, id);
      // the trigger itself set updated_at to now() just now; put it back without the trigger's help
      update("ALTER TABLE " + table + " DISABLE TRIGGER trg_" + table + "_set_updated_at");
      update("UPDATE " + table + " SET updated_at = ? WHERE " + key + " = ?", LONG_AGO, id);
      update("ALTER TABLE " + table + " ENABLE TRIGGER trg_" + table + "_set_updated_at");
      assertThat(one("SELECT (updated_at = ?)::text FROM " + table + " WHERE " + key + " = ?", LONG_AGO, id))
          .as(table + " updated_at reset").isEqualTo("true");
      update("UPDATE " + table + " SET " + set + " WHERE " + key + " = ?", id);
      assertThat(one("SELECT (updated_at > now() - interval '1 hour' AND created_at = ?)::text FROM " + table
          + " WHERE " + key + " = ?", LONG_AGO, id)).as(table + " updated_at moved, created_at kept").isEqualTo("true");
    }
  }

  // ---------------------------------------------------------------- fixtures and helpers

  static UUID workflow() throws SQLException {
    UUID wf = uuid("INSERT INTO workflows (name, definition) VALUES (?, '{\"steps\": []}') RETURNING id", unique("wf"));
    update("INSERT INTO workflow_versions (workflow_id, version, definition) VALUES (?, 1, '{\"steps\": []}')", wf);
    return wf;
  }

  static UUID execution(UUID workflow) throws SQLException {
    return uuid("INSERT INTO workflow_executions (workflow_id, workflow_version) VALUES (?, 1) RETURNING id", workflow);
  }

  static UUID step(UUID execution, int index) throws SQLException {
    return uuid("INSERT INTO workflow_steps (execution_id, step_name, step_index) VALUES (?, ?, ?) RETURNING id",
        execution, "step" + index, index);
  }

  static UUID server(String name) throws SQLException {
    return uuid("INSERT INTO mcp_servers (name, endpoint) VALUES (?, 'http://localhost:3001') RETURNING id", name);
  }

  static UUID event(String source, String delivery) throws SQLException {
    return uuid("INSERT INTO events (source, event_type, delivery_id, payload) VALUES (?, 'e', ?, '{}') RETURNING id",
        source, delivery);
  }

  static String contextAgent() throws SQLException {
    return agent("context", "NULL", "'{\"provider\": \"anthropic\", \"model\": \"claude\"}'");
  }

  static String agent(String type, String endpoint, String llmConfig) throws SQLException {
    String slug = unique("agent");
    update(agentSql(type, endpoint, llmConfig), slug);
    return slug;
  }

  static String agentSql(String type, String endpoint, String llmConfig) {
    return "INSERT INTO agents (slug, name, description, agent_type, department, io_schema, capabilities, context,"
        + " endpoint, llm_config) VALUES (?, 'Agent', 'does things', '" + type + "', 'engineering', '{}',"
        + " ARRAY['code.plan'], 'You plan.', " + endpoint + ", " + llmConfig + ")";
  }

  static String unique(String prefix) {
    return prefix + "-" + seq.incrementAndGet();
  }

  static String sha256Hex() {
    return String.format("%064x", new java.math.BigInteger(1, UUID.randomUUID().toString().getBytes()))
        .substring(0, 64);
  }

  static int update(String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = prepare(sql, params)) {
      return ps.executeUpdate();
    }
  }

  static UUID uuid(String sql, Object... params) throws SQLException {
    return UUID.fromString(one(sql, params));
  }

  static String one(String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = prepare(sql, params); ResultSet rs = ps.executeQuery()) {
      assertThat(rs.next()).as("a row from " + sql).isTrue();
      return rs.getString(1);
    }
  }

  static PreparedStatement prepare(String sql, Object... params) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    for (int i = 0; i < params.length; i++) {
      ps.setObject(i + 1, params[i]);
    }
    return ps;
  }

  static ServerErrorMessage refused(String sql, Object... params) {
    PSQLException e = catchThrowableOfType(PSQLException.class, () -> update(sql, params));
    assertThat((Object) e).as("refused: " + sql).isNotNull();
    assertThat(e.getServerErrorMessage()).isNotNull();
    return e.getServerErrorMessage();
  }

  static void rejected(String sqlState, String constraint, String sql, Object... params) {
    ServerErrorMessage m = refused(sql, params);
    assertThat(m.getSQLState()).as("SQLState of " + m.getMessage()).isEqualTo(sqlState);
    assertThat(m.getConstraint()).as("constraint of " + m.getMessage()).isEqualTo(constraint);
  }

  static void rejectedNull(String column, String sql, Object... params) {
    ServerErrorMessage m = refused(sql, params);
    assertThat(m.getSQLState()).as("SQLState of " + m.getMessage()).isEqualTo(NOT_NULL);
    assertThat(m.getColumn()).as("column of " + m.getMessage()).isEqualTo(column);
  }
}

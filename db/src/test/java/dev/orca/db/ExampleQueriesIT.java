package dev.orca.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The four example queries of seed 004 and the claim statement of DESIGN §10 run against the
 * schema, and their plans use the indexes meant for them (with {@code enable_seqscan = off}, so the
 * tiny test tables do not make a sequential scan cheaper).
 */
class ExampleQueriesIT {
  static final Pattern INDEX_SCAN = Pattern.compile("Index (?:Only )?Scan(?: Backward)? using (\\S+) on (\\S+)");
  static final Pattern BITMAP_INDEX_SCAN = Pattern.compile("Bitmap Index Scan on (\\S+)");
  static final Pattern SEQ_SCAN = Pattern.compile("Seq Scan on (\\S+)");

  static TestDatabase db;
  static Connection c;
  static UUID someExecution;
  static Map<String, String> tableOfIndex = new HashMap<>();

  @BeforeAll
  static void migrateAndFill() throws SQLException {
    db = TestPostgres.get().freshDatabase("db_queries");
    Migrations.flyway(db);
    c = db.connect();
    try (Statement s = c.createStatement()) {
      s.execute("""
          INSERT INTO workflows (name, definition)
            SELECT 'wf-' || g, '{"steps": []}' FROM generate_series(1, 5) g;
          INSERT INTO workflow_versions (workflow_id, version, definition)
            SELECT id, 1, definition FROM workflows;
          INSERT INTO workflow_executions (workflow_id, workflow_version, status, started_at, next_run_at)
            SELECT w.id, 1, (ARRAY['pending','running','completed','failed','cancelled'])[1 + g % 5],
                   now() - g * interval '1 minute', now() + (g % 3 - 1) * interval '1 minute'
            FROM workflows w, generate_series(1, 40) g;
          INSERT INTO workflow_steps (execution_id, step_name, step_index, status, duration_ms)
            SELECT e.id, 'step' || i, i, 'completed', 10 * i FROM workflow_executions e, generate_series(0, 2) i;
          INSERT INTO agent_runs (execution_id, agent_type, model, total_tokens, duration_ms, cost_usd, started_at, error)
            SELECT e.id, 'planner', 'claude', 1000, 500, 0.01, now() - (row_number() OVER ()) * interval '1 hour',
                   CASE WHEN random() < 0.1 THEN 'boom' END
            FROM workflow_executions e;
          INSERT INTO mcp_tool_calls (execution_id, server_name, tool_name, duration_ms, started_at, error)
            SELECT e.id, 'github', 'getIssue', 120, now() - (row_number() OVER ()) * interval '10 minutes', NULL
            FROM workflow_executions e;
          INSERT INTO mcp_servers (name, endpoint, config)
            SELECT 'srv' || g, 'http://localhost:' || (3000 + g), jsonb_build_object('timeout_ms', g * 1000)
            FROM generate_series(1, 20) g;
          INSERT INTO tools (server_id, name, qualified_name, capabilities)
            SELECT s.id, 't' || g, s.name || '.t' || g, ARRAY['cap' || g, 'issues.read']
            FROM mcp_servers s, generate_series(1, 5) g;
          INSERT INTO repositories (owner, name, config)
            SELECT 'acme', 'repo' || g, jsonb_build_object('auto_workflows', jsonb_build_object('issue_opened', 'wf-' || g))
            FROM generate_series(1, 20) g;
          INSERT INTO events (source, event_type, delivery_id, payload)
            SELECT 'github', 'com.github.issues.opened', 'd' || g, jsonb_build_object('number', g)
            FROM generate_series(1, 50) g;
          INSERT INTO agents (slug, name, description, agent_type, department, io_schema, capabilities, context, llm_config)
            SELECT 'agent-' || g, 'Agent ' || g, 'd', 'context', 'eng', '{}', ARRAY['code.plan' || g], 'p',
                   '{"model": "claude"}'
            FROM generate_series(1, 20) g;
          ANALYZE;
          """);
    }
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'public'")) {
      while (rs.next()) {
        tableOfIndex.put(rs.getString(1), rs.getString(2));
      }
    }
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT id FROM workflow_executions LIMIT 1")) {
      rs.next();
      someExecution = rs.getObject(1, UUID.class);
    }
    try (Statement s = c.createStatement()) {
      s.execute("SET enable_seqscan = off");
    }
  }

  @AfterAll
  static void close() throws SQLException {
    c.close();
  }

  @Test
  void activeExecutions() throws SQLException {
    String sql = """
        SELECT we.id, w.name AS workflow_name, we.status, we.started_at, now() - we.started_at AS duration
        FROM workflow_executions we
        JOIN workflows w ON we.workflow_id = w.id
        WHERE we.status IN ('pending', 'running')
        ORDER BY we.started_at DESC""";
    assertThat(rows(sql)).isEqualTo(count("SELECT count(*) FROM workflow_executions WHERE status IN ('pending','running')"))
        .isPositive();
    Plan plan = explain(sql);
    plan.assertNoSeqScan();
    assertThat(plan.indexesOn("workflow_executions"))
        .containsAnyOf("idx_executions_status", "idx_executions_claim", "idx_executions_started_at");
  }

  @Test
  void executionWithSteps() throws SQLException {
    String sql = """
        SELECT we.id AS execution_id, w.name AS workflow_name, we.status AS execution_status,
               ws.step_name, ws.status AS step_status, ws.duration_ms, ws.error
        FROM workflow_executions we
        JOIN workflows w ON we.workflow_id = w.id
        LEFT JOIN workflow_steps ws ON ws.execution_id = we.id
        WHERE we.id = '%s'
        ORDER BY ws.step_index""".formatted(someExecution);
    assertThat(rows(sql)).isEqualTo(3);
    Plan plan = explain(sql);
    plan.assertNoSeqScan();
    assertThat(plan.indexesOn("workflow_executions")).contains("pk_workflow_executions");
    assertThat(plan.indexesOn("workflow_steps")).contains("uq_workflow_steps_execution_step_index");
    assertThat(plan.indexesOn("workflows")).contains("pk_workflows");
  }

  @Test
  void agentPerformanceMetrics() throws SQLException {
    String sql = """
        SELECT agent_type, model, COUNT(*) AS total_runs, AVG(duration_ms) AS avg_duration_ms,
               AVG(total_tokens) AS avg_tokens, SUM(cost_usd) AS total_cost_usd
        FROM agent_runs
        WHERE started_at > NOW() - INTERVAL '7 days'
          AND error IS NULL
        GROUP BY agent_type, model
        ORDER BY total_runs DESC""";
    assertThat(rows(sql)).isEqualTo(1);
    Plan plan = explain(sql);
    plan.assertNoSeqScan();
    assertThat(plan.indexesOn("agent_runs")).contains("idx_agent_runs_started_at");
  }

  @Test
  void toolUsageStatistics() throws SQLException {
    String sql = """
        SELECT server_name, tool_name, COUNT(*) AS call_count, AVG(duration_ms) AS avg_duration_ms,
               COUNT(CASE WHEN error IS NOT NULL THEN 1 END) AS error_count
        FROM mcp_tool_calls
        WHERE started_at > NOW() - INTERVAL '24 hours'
        GROUP BY server_name, tool_name
        ORDER BY call_count DESC""";
    assertThat(rows(sql)).isEqualTo(1);
    Plan plan = explain(sql);
    plan.assertNoSeqScan();
    assertThat(plan.indexesOn("mcp_tool_calls")).contains("idx_tool_calls_started_at");
  }

  @Test
  void claimStatementUsesThePartialIndexAndClaimsOnlyDueUnleasedWork() throws SQLException {
    String claim = """
        WITH due AS (
          SELECT id FROM workflow_executions
          WHERE status IN ('pending','running') AND next_run_at <= now()
            AND (lease_expires_at IS NULL OR lease_expires_at < now())
          ORDER BY next_run_at LIMIT %s FOR UPDATE SKIP LOCKED)
        UPDATE workflow_executions e SET lease_owner = %s, lease_expires_at = now() + %s::interval, status = 'running'
        FROM due WHERE e.id = due.id RETURNING e.*""";
    Plan plan = explain(claim.formatted("10", "'replica-1'", "'30 seconds'"));
    plan.assertNoSeqScan();
    assertThat(plan.indexesOn("workflow_executions")).contains("idx_executions_claim");

    long due = count("""
        SELECT count(*) FROM workflow_executions WHERE status IN ('pending','running') AND next_run_at <= now()
          AND lease_expires_at IS NULL""");
    assertThat(due).isGreaterThan(10);
    List<String> claimed = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(claim.formatted("?", "?", "?"))) {
      ps.setInt(1, 1000);
      ps.setString(2, "replica-1");
      ps.setString(3, "30 seconds");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          assertThat(rs.getString("status")).isEqualTo("running");
          assertThat(rs.getString("lease_owner")).isEqualTo("replica-1");
          claimed.add(rs.getString("id"));
        }
      }
    }
    assertThat((long) claimed.size()).isEqualTo(due);
    assertThat(count("SELECT count(*) FROM workflow_executions WHERE lease_owner = 'replica-1'")).isEqualTo(due);
    assertThat(count("""
        SELECT count(*) FROM workflow_executions WHERE lease_owner IS NOT NULL
          AND (next_run_at > now() OR status NOT IN ('pending','running'))""")).isZero();
    // a second claim finds nothing: every due execution holds a live lease
    assertThat(rows(claim.formatted("1000", "'replica-2'", "'30 seconds'"))).isZero();
    try (Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE workflow_executions SET lease_owner = NULL, lease_expires_at = NULL");
    }
  }

  @Test
  void jsonbAndArrayFiltersUseGinIndexes() throws SQLException {
    Map<String, String> queries = Map.of(
        "idx_tools_capabilities", "SELECT qualified_name FROM tools WHERE capabilities @> ARRAY['cap3']",
        "idx_agents_capabilities", "SELECT slug FROM agents WHERE capabilities @> ARRAY['code.plan7']",
        "idx_events_payload", "SELECT id FROM events WHERE payload @> '{\"number\": 7}'",
        "idx_repos_config", "SELECT id FROM repositories WHERE config @> '{\"auto_workflows\": {\"issue_opened\": \"wf-3\"}}'",
        "idx_mcp_servers_config", "SELECT id FROM mcp_servers WHERE config @> '{\"timeout_ms\": 5000}'",
        "idx_agents_llm_config", "SELECT slug FROM agents WHERE llm_config @> '{\"model\": \"claude\"}'");
    for (Map.Entry<String, String> q : queries.entrySet()) {
      assertThat(rows(q.getValue())).as(q.getValue()).isPositive();
      Plan plan = explain(q.getValue());
      plan.assertNoSeqScan();
      assertThat(plan.indexes()).as(q.getValue()).contains(q.getKey());
    }
  }

  // ---------------------------------------------------------------- helpers

  /** A plan's text and the indexes it scans, per table. */
  record Plan(String text, Map<String, Set<String>> indexesByTable, Set<String> seqScanned) {
    Set<String> indexesOn(String table) {
      return indexesByTable.getOrDefault(table, Set.of());
    }

    Set<String> indexes() {
      Set<String> all = new LinkedHashSet<>();
      indexesByTable.values().forEach(all::addAll);
      return all;
    }

    void assertNoSeqScan() {
      assertThat(seqScanned).as("sequential scans in\n" + text).isEmpty();
      assertThat(text).as("plan").containsAnyOf("Index Scan", "Index Only Scan", "Bitmap Index Scan");
    }
  }

  static Plan explain(String sql) throws SQLException {
    StringBuilder text = new StringBuilder();
    boolean modifies = sql.contains("UPDATE");
    if (modifies) {
      c.setAutoCommit(false); // EXPLAIN does not execute, but keep the statement harmless anyway
    }
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("EXPLAIN " + sql)) {
      while (rs.next()) {
        text.append(rs.getString(1)).append('\n');
      }
    } finally {
      if (modifies) {
        c.rollback();
        c.setAutoCommit(true);
      }
    }
    Map<String, Set<String>> byTable = new HashMap<>();
    Matcher m = INDEX_SCAN.matcher(text);
    while (m.find()) {
      byTable.computeIfAbsent(m.group(2), k -> new LinkedHashSet<>()).add(m.group(1));
    }
    m = BITMAP_INDEX_SCAN.matcher(text);
    while (m.find()) {
      String index = m.group(1);
      byTable.computeIfAbsent(tableOfIndex.getOrDefault(index, "?"), k -> new LinkedHashSet<>()).add(index);
    }
    Set<String> seq = new LinkedHashSet<>();
    m = SEQ_SCAN.matcher(text);
    while (m.find()) {
      seq.add(m.group(1));
    }
    return new Plan(text.toString(), byTable, seq);
  }

  static int rows(String sql) throws SQLException {
    int n = 0;
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        n++;
      }
    }
    return n;
  }

  static long count(String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}

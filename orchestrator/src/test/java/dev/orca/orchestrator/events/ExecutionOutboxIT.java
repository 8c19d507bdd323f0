package dev.orca.orchestrator.events;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.orchestrator.engine.ExecutionEvent;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay's claim ({@link ExecutionOutbox#unpublished}) against a real PostgreSQL: order per execution, and its plan. */
class ExecutionOutboxIT {
  private OutboxDatabase db;

  @BeforeEach
  void setUp() {
    db = new OutboxDatabase("outbox_claim");
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  @Test
  void aRowHeldElsewhereHoldsBackTheLaterRowsOfItsExecutionOnly() throws Exception {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    List<Long> ofA = db.insert(a, List.of("dev.orca.execution.started", "dev.orca.step.started", "dev.orca.step.completed"), "{}");
    List<Long> ofB = db.insert(b, List.of("dev.orca.execution.started", "dev.orca.step.started"), "{}");

    assertThat(claimedIds()).containsExactly(ofA.get(0), ofA.get(1), ofA.get(2), ofB.get(0), ofB.get(1));

    // Another relay holds a's first row: a's later rows wait for it, b's go.
    try (Connection other = db.db.connect(); Statement s = other.createStatement()) {
      other.setAutoCommit(false);
      s.executeQuery("SELECT id FROM execution_outbox WHERE id = " + ofA.get(0) + " FOR UPDATE").close();
      assertThat(claimedIds()).containsExactly(ofB.get(0), ofB.get(1));
      other.rollback();
    }
    // Once a's first row is published, the rest of a is claimable again.
    try (Connection c = db.db.connect(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE execution_outbox SET published_at = now() WHERE id = " + ofA.get(0));
    }
    assertThat(claimedIds()).containsExactly(ofA.get(1), ofA.get(2), ofB.get(0), ofB.get(1));
  }

  @Test
  void theOlderRowCheckGoesByExecutionNotThroughThePartialIndexOfUnpublishedRows() throws Exception {
    // Many rows published since the last vacuum (their entries stay in the partial index), statistics that
    // say nothing is unpublished, then a fresh batch: the state in which the check used to probe that index.
    try (Connection c = db.db.connect(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE execution_outbox SET (autovacuum_enabled = off)");
      s.execute("INSERT INTO execution_outbox (execution_id, event_type, payload) "
          + "SELECT gen_random_uuid(), 'dev.orca.step.completed', '{}' FROM generate_series(1, 20000)");
      s.execute("UPDATE execution_outbox SET published_at = now() WHERE published_at IS NULL");
      s.execute("ANALYZE execution_outbox");
    }
    for (int i = 0; i < 40; i++) {
      UUID execution = UUID.randomUUID();
      db.insert(execution, List.of("dev.orca.step.started", "dev.orca.step.completed"), "{}");
    }
    String plan = explain(ExecutionOutbox.CLAIM.replace("$1", "200"));
    assertThat(plan).contains("idx_execution_outbox_execution on execution_outbox older");
    assertThat(plan.lines().filter(l -> l.contains("idx_execution_outbox_unpublished")).count())
        .as("the partial index serves the claim's own scan only").isEqualTo(1);
    assertThat(claimedIds()).hasSize(80);
  }

  private List<Long> claimedIds() {
    List<Long> ids = new ArrayList<>();
    for (ExecutionEvent e : db.outbox.unpublished(200).collectList().block(Duration.ofSeconds(30))) {
      ids.add(e.sequence());
    }
    return ids;
  }

  private String explain(String sql) throws Exception {
    StringBuilder plan = new StringBuilder();
    try (Connection c = db.db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("EXPLAIN " + sql)) {
      while (rs.next()) {
        plan.append(rs.getString(1)).append('\n');
      }
    }
    return plan.toString();
  }
}

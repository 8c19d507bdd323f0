package dev.orca.orchestrator.events;

import dev.orca.orchestrator.engine.ExecutionEvent;
import dev.orca.orchestrator.notify.PgNotifications;
import dev.orca.orchestrator.notify.TestPools;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import io.r2dbc.pool.ConnectionPool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** A migrated test database with an R2DBC pool, and execution_outbox rows written as the engine writes them. */
final class OutboxDatabase implements AutoCloseable {
  static final ObjectMapper JSON = JsonMapper.builder().build();

  final TestDatabase db;
  final ConnectionPool pool;
  final DatabaseClient client;
  final ExecutionOutbox outbox;
  private final List<PgNotifications> notifications = new ArrayList<>();

  OutboxDatabase(String prefix) {
    db = ServiceChecks.migrated(TestPostgres.get().freshDatabase(prefix));
    pool = TestPools.pool(db, 10);
    client = DatabaseClient.create(pool);
    outbox = new ExecutionOutbox(client, JSON);
  }

  /** A LISTEN/NOTIFY client as one orchestrator process has it (closed with this database). */
  PgNotifications notifications() {
    PgNotifications n = TestPools.notifications(db, client);
    notifications.add(n);
    return n;
  }

  /** Inserts an event in one transaction with its pg_notify, as the engine's store does; returns its id. */
  long insert(UUID executionId, String type, String payload) {
    return insert(executionId, List.of(type), payload).get(0);
  }

  /** Inserts events of one execution in one transaction, then notifies; returns their ids. */
  List<Long> insert(UUID executionId, List<String> types, String payload) {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      List<Long> ids = new ArrayList<>();
      try (PreparedStatement insert = c.prepareStatement(
              "INSERT INTO execution_outbox (execution_id, event_type, payload) VALUES (?, ?, ?::jsonb) RETURNING id");
          PreparedStatement notify = c.prepareStatement("SELECT pg_notify('" + ExecutionEvent.NOTIFY_CHANNEL + "', ?::text)")) {
        for (String type : types) {
          insert.setObject(1, executionId);
          insert.setString(2, type);
          insert.setString(3, payload);
          try (ResultSet rs = insert.executeQuery()) {
            rs.next();
            ids.add(rs.getLong(1));
          }
        }
        notify.setObject(1, executionId);
        notify.executeQuery().close();
      }
      c.commit();
      return ids;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  long count(String where) {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM execution_outbox WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** How many LISTEN connections (of {@link PgNotifications}) this database has. */
  long listenConnections() {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND application_name = '" + PgNotifications.APPLICATION_NAME + "'")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    notifications.forEach(PgNotifications::destroy);
    pool.dispose();
  }
}

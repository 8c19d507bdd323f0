package dev.orca.orchestrator.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orca.orchestrator.notify.PgNotifications.Notice;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import io.r2dbc.pool.ConnectionPool;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.test.StepVerifier;

class PgNotificationsIT {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final Notice LISTENING = new Notice.Listening();

  private TestDatabase db;
  private ConnectionPool pool;
  private PgNotifications notifications;

  @BeforeEach
  void setUp() {
    db = TestPostgres.get().freshDatabase("notify");
    pool = TestPools.pool(db, 4);
    notifications = TestPools.notifications(db, DatabaseClient.create(pool));
  }

  @AfterEach
  void tearDown() {
    notifications.destroy();
    pool.dispose();
  }

  @Test
  void listenReceivesThePayloadsOfItsChannelOnly() {
    StepVerifier.create(notifications.events("orca_work"))
        .expectNext(LISTENING)
        .then(() -> {
          jdbc("SELECT pg_notify('orca_cancel', 'not-for-us')");
          notifications.notify("orca_work", "first").subscribe();
        })
        .expectNext(new Notice.Payload("first"))
        .then(() -> jdbc("SELECT pg_notify('orca_work', 'second')"))
        .expectNext(new Notice.Payload("second"))
        .thenCancel()
        .verify(WAIT);
  }

  @Test
  void listenSkipsTheListeningSignal() {
    // A second subscriber arrives once LISTEN is active: listen() gives it payloads only.
    StepVerifier.create(notifications.events("orca_work"))
        .expectNext(LISTENING)
        .thenCancel()
        .verify(WAIT);
    StepVerifier.create(notifications.listen("orca_work").take(2))
        .then(() -> jdbc("SELECT pg_notify('orca_work', 'a'), pg_notify('orca_work', 'b')"))
        .expectNext("a", "b")
        .verifyComplete();
  }

  @Test
  void allChannelsAndSubscribersShareOneConnection() {
    StepVerifier.create(notifications.events("orca_work").mergeWith(notifications.events("orca_cancel"))
            .mergeWith(notifications.events("orca_work")))
        .expectNext(LISTENING, LISTENING, LISTENING)
        .then(() -> {
          assertThat(listenConnections()).isEqualTo(1);
          jdbc("SELECT pg_notify('orca_cancel', 'x')");
        })
        .expectNext(new Notice.Payload("x"))
        .thenCancel()
        .verify(WAIT);
  }

  @Test
  void keepsReceivingAfterTheListenConnectionIsKilled() {
    int[] killedPid = new int[1];
    StepVerifier.create(notifications.events("orca_work"))
        .expectNext(LISTENING)
        .then(() -> jdbc("SELECT pg_notify('orca_work', 'before')"))
        .expectNext(new Notice.Payload("before"))
        .then(() -> {
          killedPid[0] = listenPid();
          jdbc("SELECT pg_terminate_backend(" + killedPid[0] + ")");
        })
        // LISTEN is re-issued on a new connection; subscribers are told so they can re-read.
        .expectNext(LISTENING)
        .then(() -> {
          assertThat(listenPid()).isNotEqualTo(killedPid[0]);
          jdbc("SELECT pg_notify('orca_work', 'after')");
        })
        .expectNext(new Notice.Payload("after"))
        .thenCancel()
        .verify(WAIT);
  }

  @Test
  void rejectsNamesThatAreNotPlainIdentifiers() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> notifications.listen("x\"; DROP TABLE t; --"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private int listenPid() {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            + " AND application_name = '" + PgNotifications.APPLICATION_NAME + "'")) {
      assertThat(rs.next()).as("a LISTEN connection").isTrue();
      int pid = rs.getInt(1);
      assertThat(rs.next()).as("only one LISTEN connection").isFalse();
      return pid;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private long listenConnections() {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND application_name = '" + PgNotifications.APPLICATION_NAME + "'")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private void jdbc(String sql) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}

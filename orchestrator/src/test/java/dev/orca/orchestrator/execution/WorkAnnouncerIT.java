package dev.orca.orchestrator.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.notify.PgNotifications;
import dev.orca.orchestrator.notify.TestPools;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.Disposable;

/** {@link WorkAnnouncer} against a real PostgreSQL: the local engine at once, every replica by NOTIFY, bursts coalesced. */
class WorkAnnouncerIT {
  private TestDatabase db;
  private ConnectionPool pool;
  private PgNotifications listener;
  private PgNotifications sender;
  private Disposable listening;

  @BeforeEach
  void setUp() {
    db = TestPostgres.get().freshDatabase("work_announcer");
    pool = TestPools.pool(db, 4);
    listener = TestPools.notifications(db, DatabaseClient.create(pool));
    sender = TestPools.notifications(db, DatabaseClient.create(pool));
  }

  @AfterEach
  void tearDown() {
    if (listening != null) {
      listening.dispose();
    }
    listener.destroy();
    sender.destroy();
    pool.dispose();
  }

  @Test
  void wakesTheLocalEngineAtOnceAndEveryReplicaByNotifyWithBurstsSharingNotifications() {
    AtomicInteger received = new AtomicInteger();
    AtomicBoolean listeningNow = new AtomicBoolean();
    listening = listener.events(PostgresExecutionStore.WORK_CHANNEL).subscribe(notice -> {
      if (notice instanceof PgNotifications.Notice.Listening) {
        listeningNow.set(true);
      } else if (((PgNotifications.Notice.Payload) notice).value().equals("replica-a")) {
        received.incrementAndGet(); // says who sent it, so that replica's engine can ignore it
      }
    });
    await().atMost(Duration.ofSeconds(30)).untilTrue(listeningNow);

    AtomicInteger localWakes = new AtomicInteger();
    WorkAnnouncer announcer = new WorkAnnouncer(sender, localWakes::incrementAndGet, "replica-a");
    announcer.announce();
    assertThat(localWakes).as("this replica's engine is woken in process, before any NOTIFY").hasValue(1);
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(received).hasValue(1));

    IntStream.range(0, 300).parallel().forEach(i -> announcer.announce());
    assertThat(localWakes).hasValue(301);
    // Settled: the burst's last start is announced by a NOTIFY sent after it, and they shared NOTIFYs.
    AtomicInteger lastSeen = new AtomicInteger(-1);
    await().pollDelay(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(200)).atMost(Duration.ofSeconds(15))
        .until(() -> {
          int now = received.get();
          return lastSeen.getAndSet(now) == now;
        });
    assertThat(received.get()).isGreaterThan(1).isLessThan(301);

    int before = received.get();
    announcer.announce();
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(received.get()).isEqualTo(before + 1));
  }
}

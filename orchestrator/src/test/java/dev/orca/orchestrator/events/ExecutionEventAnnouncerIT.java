package dev.orca.orchestrator.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.engine.ExecutionEvent;
import dev.orca.orchestrator.notify.PgNotifications;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

/** {@link ExecutionEventAnnouncer} against a real PostgreSQL: every id arrives, many per NOTIFY under load. */
class ExecutionEventAnnouncerIT {
  private OutboxDatabase db;
  private Disposable listening;

  @BeforeEach
  void setUp() {
    db = new OutboxDatabase("announcer");
  }

  @AfterEach
  void tearDown() {
    if (listening != null) {
      listening.dispose();
    }
    db.close();
  }

  @Test
  void everyAnnouncedIdReachesListenersAndBurstsShareNotifications() {
    PgNotifications listener = db.notifications();
    List<String> payloads = new CopyOnWriteArrayList<>();
    Set<String> seen = ConcurrentHashMap.newKeySet();
    listening = listener.listen(ExecutionEvent.NOTIFY_CHANNEL).subscribe(payload -> {
      payloads.add(payload);
      seen.addAll(List.of(payload.split(",")));
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      listener.notify(ExecutionEvent.NOTIFY_CHANNEL, "probe").subscribe();
      return seen.remove("probe");
    });
    payloads.clear();

    ExecutionEventAnnouncer announcer = new ExecutionEventAnnouncer(db.notifications());
    List<String> ids = new ArrayList<>();
    IntStream.range(0, 1000).forEach(i -> ids.add(UUID.randomUUID().toString()));
    ids.parallelStream().forEach(id -> announcer.announce(UUID.fromString(id)));

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(seen).containsAll(ids));
    assertThat(payloads).as("a burst goes out in fewer NOTIFYs than ids").hasSizeLessThan(ids.size());
    assertThat(payloads).allSatisfy(p -> assertThat(p.split(",")).hasSizeLessThanOrEqualTo(ExecutionEventAnnouncer.MAX_IDS));
  }

  @Test
  void aLoneAnnouncementGoesAtOnceAndWhatFollowsWithinThePaceSharesTheNextNotify() {
    PgNotifications listener = db.notifications();
    List<String> payloads = new CopyOnWriteArrayList<>();
    AtomicBoolean probed = new AtomicBoolean();
    listening = listener.listen(ExecutionEvent.NOTIFY_CHANNEL).subscribe(payload -> {
      if (payload.equals("probe")) {
        probed.set(true);
      } else {
        payloads.add(payload);
      }
    });
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      listener.notify(ExecutionEvent.NOTIFY_CHANNEL, "probe").subscribe();
      return probed.get();
    });

    ExecutionEventAnnouncer announcer = new ExecutionEventAnnouncer(db.notifications(), Duration.ofMillis(500));
    String first = UUID.randomUUID().toString();
    announcer.announce(UUID.fromString(first));
    await().atMost(Duration.ofSeconds(10)).until(() -> payloads.contains(first));
    assertThat(payloads).as("the lone announcement went out by itself").containsExactly(first);

    // Announced while the first NOTIFY's pace runs: both wait for it, then go out in one NOTIFY.
    String second = UUID.randomUUID().toString();
    String third = UUID.randomUUID().toString();
    announcer.announce(UUID.fromString(second));
    announcer.announce(UUID.fromString(third));
    await().atMost(Duration.ofSeconds(10)).until(() -> payloads.size() > 1);
    assertThat(payloads).hasSize(2);
    assertThat(payloads.get(1).split(",")).containsExactlyInAnyOrder(second, third);
  }

  @Test
  void namesMatchesWholeIdsInTheList() {
    String a = "6f1c2c1e-0000-4000-8000-000000000001";
    String b = "6f1c2c1e-0000-4000-8000-000000000002";
    assertThat(ExecutionEventAnnouncer.names(a, a)).isTrue();
    assertThat(ExecutionEventAnnouncer.names(b + "," + a, a)).isTrue();
    assertThat(ExecutionEventAnnouncer.names(a + "," + b, b)).isTrue();
    assertThat(ExecutionEventAnnouncer.names(b, a)).isFalse();
    assertThat(ExecutionEventAnnouncer.names("x" + a, a)).isFalse();
    assertThat(ExecutionEventAnnouncer.names(a + "0", a)).isFalse();
  }
}

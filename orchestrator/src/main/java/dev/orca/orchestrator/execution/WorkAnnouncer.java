package dev.orca.orchestrator.execution;

import dev.orca.orchestrator.notify.PgNotifications;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Wakes the engines once new executions are committed: this replica's at once, in process, and every
 * replica's through a NOTIFY on {@value PostgresExecutionStore#WORK_CHANNEL}.
 *
 * <p>The NOTIFY goes on its own, after the start committed, not inside the starting statement:
 * PostgreSQL serialises the commits of notifying transactions on one database-wide lock held through
 * their WAL flush, so a NOTIFY inside each start queued every API start behind the others' flushes (and
 * behind the event announcer's). One NOTIFY is in flight at a time, and under sustained load the next
 * waits {@value #PACE_MILLIS} ms after it: starts meanwhile share it (the other replicas' engines claim in
 * batches anyway; this replica's was woken at once). Best effort, like every wake-up: the engines' poll
 * finds what a lost NOTIFY did not announce.
 */
@Component
class WorkAnnouncer {
  private static final Logger log = LoggerFactory.getLogger(WorkAnnouncer.class);
  static final long PACE_MILLIS = 10;

  private final PgNotifications notifications;
  private final Runnable localWake;
  private final String sender;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final AtomicBoolean sending = new AtomicBoolean();

  @Autowired
  WorkAnnouncer(PgNotifications notifications, EngineLifecycle engine) {
    this(notifications, engine::wake, engine.owner());
  }

  /** @param sender the NOTIFY's payload: this replica's engine ignores its own, having been woken in process */
  WorkAnnouncer(PgNotifications notifications, Runnable localWake, String sender) {
    this.notifications = notifications;
    this.localWake = localWake;
    this.sender = sender;
  }

  /** New executions were committed. */
  void announce() {
    localWake.run();
    pending.set(true);
    sendIfIdle();
  }

  private void sendIfIdle() {
    if (!pending.get() || !sending.compareAndSet(false, true)) {
      return; // the NOTIFY in flight re-checks when it ends
    }
    pending.set(false);
    notifications.notify(PostgresExecutionStore.WORK_CHANNEL, sender)
        .then(Mono.delay(Duration.ofMillis(PACE_MILLIS)).then())
        .doFinally(signal -> {
          sending.set(false);
          sendIfIdle();
        })
        .subscribe(null, e -> log.debug("Could not announce new work: {}", e.toString()));
  }
}

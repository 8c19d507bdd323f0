package dev.orca.orchestrator.events;

import dev.orca.orchestrator.engine.ExecutionEvent;
import dev.orca.orchestrator.notify.PgNotifications;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Tells the outbox relay and SSE followers (on every replica) that executions have new events, on
 * {@link ExecutionEvent#NOTIFY_CHANNEL}, after the transitions committed.
 *
 * <p>Why not {@code pg_notify} inside each transition: PostgreSQL serialises the commits of notifying
 * transactions on one database-wide lock held through their WAL flush, so two notifying commits per step
 * capped the whole engine (measured: the step transition ran 4.5× faster without it). A NOTIFY sent on
 * its own writes nothing, so it holds that lock only briefly; and while one is in flight, further ids
 * gather and go out together in the next (up to {@value #MAX_IDS} per NOTIFY, within the 8000-byte payload
 * limit). Under sustained load the next NOTIFY also waits {@code pace} after the last one: a lone
 * announcement still goes at once, but a busy replica sends at most one per pace instead of one per
 * transition, and each NOTIFY wakes every listener (the relays, the followers) of every replica.
 * Best effort: a lost announcement delays delivery until the relay's and the followers' polls.
 */
@Component
public class ExecutionEventAnnouncer {
  static final int MAX_IDS = 200;
  /** The default pause between NOTIFYs while announcements keep coming. */
  static final Duration DEFAULT_PACE = Duration.ofMillis(10);
  private static final Logger log = LoggerFactory.getLogger(ExecutionEventAnnouncer.class);

  private final PgNotifications notifications;
  private final Set<UUID> pending = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean sending = new AtomicBoolean();
  private final Duration pace;

  @Autowired
  public ExecutionEventAnnouncer(PgNotifications notifications) {
    this(notifications, DEFAULT_PACE);
  }

  public ExecutionEventAnnouncer(PgNotifications notifications, Duration pace) {
    this.notifications = notifications;
    this.pace = pace;
  }

  /** {@code executionId} has new committed events. */
  public void announce(UUID executionId) {
    pending.add(executionId);
    sendIfIdle();
  }

  private void sendIfIdle() {
    if (!sending.compareAndSet(false, true)) {
      return; // the NOTIFY in flight re-checks when it ends
    }
    List<UUID> batch = take();
    if (batch.isEmpty()) {
      sending.set(false);
      if (!pending.isEmpty()) {
        sendIfIdle();
      }
      return;
    }
    notifications.notify(ExecutionEvent.NOTIFY_CHANNEL, batch.stream().map(UUID::toString).collect(Collectors.joining(",")))
        // Still "sending" during the pace, so what is announced meanwhile waits and goes out together.
        .then(Mono.delay(pace).then())
        .doFinally(signal -> {
          sending.set(false);
          if (!pending.isEmpty()) {
            sendIfIdle();
          }
        })
        .subscribe(null, e -> log.debug("Could not announce events of {} executions: {}", batch.size(), e.toString()));
  }

  private List<UUID> take() {
    List<UUID> batch = new ArrayList<>();
    for (Iterator<UUID> it = pending.iterator(); it.hasNext() && batch.size() < MAX_IDS; ) {
      batch.add(it.next());
      it.remove();
    }
    return batch;
  }

  /** Whether {@code payload} (a notification on the channel) names {@code executionId}. */
  public static boolean names(String payload, String executionId) {
    int at = payload.indexOf(executionId);
    while (at >= 0) {
      int end = at + executionId.length();
      if ((at == 0 || payload.charAt(at - 1) == ',') && (end == payload.length() || payload.charAt(end) == ',')) {
        return true;
      }
      at = payload.indexOf(executionId, end);
    }
    return false;
  }
}

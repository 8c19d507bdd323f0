package dev.orca.orchestrator.events;

import dev.orca.orchestrator.engine.ExecutionEvent;
import dev.orca.orchestrator.notify.PgNotifications;
import dev.orca.orchestrator.notify.PgNotifications.Notice;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/**
 * One execution's events for SSE clients: everything already in the outbox, then new events as they
 * are committed, ending with the terminal event. Every follower shares the one LISTEN connection and
 * reads the outbox when its own execution was announced (or LISTEN was re-established, or its slow
 * poll ticks, since announcements are best effort), always from the last sequence it delivered, so
 * replay and live neither overlap nor leave a gap.
 */
@Component
public class ExecutionEventFeed {
  /** The types after which an execution has no more events. */
  public static final Set<String> TERMINAL =
      Set.of("dev.orca.execution.completed", "dev.orca.execution.failed", "dev.orca.execution.cancelled");

  private final ExecutionOutbox outbox;
  private final PgNotifications notifications;
  private final Duration poll;

  @Autowired
  public ExecutionEventFeed(ExecutionOutbox outbox, PgNotifications notifications,
      @Value("${orca.events.follow-poll:2s}") Duration poll) {
    this.outbox = outbox;
    this.notifications = notifications;
    this.poll = poll;
  }

  /** Replays, then follows; completes after {@code dev.orca.execution.{completed,failed,cancelled}}. */
  public Flux<ExecutionEvent> follow(UUID executionId) {
    String id = executionId.toString();
    return Flux.defer(() -> {
      AtomicLong last = new AtomicLong();
      // The first read (the replay) happens once LISTEN is active, so nothing committed after it is missed.
      Flux<Object> wakeUps = Flux.merge(
          notifications.events(ExecutionEvent.NOTIFY_CHANNEL)
              .filter(notice -> notice instanceof Notice.Listening
                  || notice instanceof Notice.Payload payload && ExecutionEventAnnouncer.names(payload.value(), id)),
          Flux.interval(poll, poll));
      return wakeUps
          .onBackpressureLatest() // notifications during a read collapse into one more read
          .concatMap(wake -> outbox.after(executionId, last.get()).doOnNext(event -> last.set(event.sequence())), 1)
          .takeUntil(event -> TERMINAL.contains(event.type()));
    });
  }
}

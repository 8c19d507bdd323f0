package dev.orca.orchestrator.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.engine.ExecutionEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class ExecutionEventFeedIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  private OutboxDatabase db;
  private ExecutionEventFeed feed;

  @BeforeEach
  void setUp() {
    db = new OutboxDatabase("feed");
    // A poll far beyond the test's waits: live delivery must come from the notifications.
    feed = new ExecutionEventFeed(db.outbox, db.notifications(), java.time.Duration.ofMinutes(10));
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  @Test
  void replaysThenStreamsLiveAndCompletesAtTheTerminalEvent() {
    UUID execution = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    long started = insert(execution, "dev.orca.execution.started");
    insert(other, "dev.orca.execution.started");
    long stepStarted = insert(execution, "dev.orca.step.started");

    StepVerifier.create(feed.follow(execution))
        .assertNext(e -> assertEvent(e, started, execution, "dev.orca.execution.started"))
        .assertNext(e -> assertEvent(e, stepStarted, execution, "dev.orca.step.started"))
        .expectNoEvent(Duration.ofMillis(300))
        .then(() -> {
          insert(other, "dev.orca.execution.completed"); // another execution's end does not end this feed
          insert(execution, "dev.orca.step.completed");
        })
        .assertNext(e -> assertThat(e.type()).isEqualTo("dev.orca.step.completed"))
        .then(() -> insert(execution, "dev.orca.execution.failed"))
        .assertNext(e -> assertThat(e.type()).isEqualTo("dev.orca.execution.failed"))
        .verifyComplete();
  }

  @Test
  void aFinishedExecutionIsReplayedAndCompletes() {
    UUID execution = UUID.randomUUID();
    List<Long> ids = db.insert(execution,
        List.of("dev.orca.execution.started", "dev.orca.execution.cancelled"), payload(execution));
    StepVerifier.create(feed.follow(execution).map(ExecutionEvent::sequence))
        .expectNext(ids.get(0), ids.get(1))
        .verifyComplete();
  }

  @Test
  void rowsWrittenDuringTheReplayAreDeliveredOnceWithoutGaps() {
    UUID execution = UUID.randomUUID();
    UUID noise = UUID.randomUUID();
    List<Long> expected = Collections.synchronizedList(new ArrayList<>());
    List<String> steps = Collections.nCopies(50, "dev.orca.step.completed");
    for (int i = 0; i < 40; i++) {
      expected.addAll(db.insert(execution, steps, payload(execution)));
    }
    // Once the replay has started, keep writing: of this execution and of another one.
    AtomicBoolean writing = new AtomicBoolean();
    AtomicBoolean written = new AtomicBoolean();
    Runnable writer = () -> {
      for (int i = 0; i < 30; i++) {
        expected.addAll(db.insert(execution, List.of("dev.orca.step.started", "dev.orca.step.completed"), payload(execution)));
        db.insert(noise, "dev.orca.step.started", payload(noise));
      }
      expected.addAll(db.insert(execution, List.of("dev.orca.execution.completed"), payload(execution)));
      written.set(true);
    };

    StepVerifier.create(feed.follow(execution)
            .doOnNext(e -> {
              if (writing.compareAndSet(false, true)) {
                Schedulers.boundedElastic().schedule(writer);
              }
            })
            .map(ExecutionEvent::sequence)
            .collectList())
        .assertNext(sequences -> {
          // The feed may end (on the last row's commit) before the writer has recorded that row's id.
          await().atMost(WAIT).untilTrue(written);
          assertThat(sequences).hasSize(2000 + 60 + 1);
          assertThat(sequences).isEqualTo(expected.stream().sorted().toList());
        })
        .expectComplete()
        .verify(WAIT);
  }

  @Test
  void manyFollowersShareOneListenConnection() {
    UUID execution = UUID.randomUUID();
    insert(execution, "dev.orca.execution.started");
    Flux<List<String>> followers = Flux.range(0, 25)
        .flatMap(i -> feed.follow(execution).map(ExecutionEvent::type).collectList());

    StepVerifier.create(followers)
        .expectSubscription()
        .expectNoEvent(Duration.ofMillis(500))
        .then(() -> {
          assertThat(db.listenConnections()).isEqualTo(1);
          insert(execution, "dev.orca.step.started");
          insert(execution, "dev.orca.execution.completed");
        })
        .thenConsumeWhile(types -> types.equals(
            List.of("dev.orca.execution.started", "dev.orca.step.started", "dev.orca.execution.completed")))
        .expectComplete()
        .verify(WAIT);
  }

  private long insert(UUID execution, String type) {
    return db.insert(execution, type, payload(execution));
  }

  private static String payload(UUID execution) {
    return "{\"executionId\":\"" + execution + "\",\"workflow\":\"deploy\",\"workflowVersion\":1,\"status\":\"running\"}";
  }

  private static void assertEvent(ExecutionEvent event, long sequence, UUID execution, String type) {
    assertThat(event.sequence()).isEqualTo(sequence);
    assertThat(event.executionId()).isEqualTo(execution);
    assertThat(event.type()).isEqualTo(type);
    assertThat(event.data().get("workflow").asString()).isEqualTo("deploy");
    assertThat(event.at()).isNotNull();
  }
}

package dev.orca.gateway.audit;

import dev.orca.common.toolcall.ToolCallOutcome;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.orca.gateway.relay.CallRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

class AsyncCallAuditTest {
  static CallRecord record(int i) {
    return new CallRecord("builtin", "echo", null, null, null, ToolCallOutcome.SUCCESS, Instant.now(), Instant.now(), i);
  }

  @Test
  void aStuckDatabaseNeverBlocksTheCallerAndOverflowIsCounted() {
    PostgresToolCallAudit store = mock(PostgresToolCallAudit.class);
    Sinks.Empty<Void> database = Sinks.empty();
    AtomicInteger inserts = new AtomicInteger();
    when(store.insert(any())).thenAnswer(i -> {
      inserts.incrementAndGet();
      return database.asMono();
    });
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AsyncCallAudit audit = new AsyncCallAudit(store, meters, 3, 1);
    audit.start();

    long start = System.nanoTime();
    for (int i = 0; i < 10; i++) {
      audit.record(record(i));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    // one insert in flight (concurrency 1), three queued, six dropped and counted
    assertThat(inserts.get()).isEqualTo(1);
    assertThat(meters.get("orca.gateway.audit.dropped").counter().count()).isEqualTo(6.0);
    assertThat(meters.get("orca.gateway.audit.queued").gauge().value()).isEqualTo(3.0);

    database.tryEmitEmpty(); // the database recovers: the queue drains
    assertThat(inserts.get()).isEqualTo(4);
    assertThat(meters.get("orca.gateway.audit.written").counter().count()).isEqualTo(4.0);
    audit.stop();
  }

  @Test
  void aFailedInsertIsCountedAndTheWriterGoesOn() {
    PostgresToolCallAudit store = mock(PostgresToolCallAudit.class);
    AtomicInteger calls = new AtomicInteger();
    when(store.insert(any())).thenAnswer(i -> calls.incrementAndGet() == 1
        ? Mono.error(new IllegalStateException("db down")) : Mono.empty());
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    AsyncCallAudit audit = new AsyncCallAudit(store, meters, 10, 2);
    audit.start();
    audit.record(record(1));
    audit.record(record(2));
    assertThat(meters.get("orca.gateway.audit.failed").counter().count()).isEqualTo(1.0);
    assertThat(meters.get("orca.gateway.audit.written").counter().count()).isEqualTo(1.0);
    audit.stop();
  }
}

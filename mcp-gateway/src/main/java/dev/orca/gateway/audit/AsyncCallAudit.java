package dev.orca.gateway.audit;

import dev.orca.gateway.relay.CallAudit;
import dev.orca.gateway.relay.CallRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.publisher.Sinks.EmitResult;

/**
 * Hands external calls to PostgreSQL off the call path: {@link #record} only enqueues (never blocks,
 * never throws), a writer drains the queue with a few inserts in flight. A full queue (the database
 * slower than the calls for a while) drops the record and counts it in
 * {@code orca_gateway_audit_dropped_total}; a failed insert is logged and counted in
 * {@code orca_gateway_audit_failed_total}. Nothing is lost silently.
 */
@Component
class AsyncCallAudit implements CallAudit, SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(AsyncCallAudit.class);

  private final PostgresToolCallAudit store;
  private final int concurrency;
  private final Queue<CallRecord> queue;
  private final Sinks.Many<CallRecord> sink;
  private final Counter dropped;
  private final Counter failed;
  private final Counter written;
  private volatile Disposable writer;

  AsyncCallAudit(
      PostgresToolCallAudit store,
      MeterRegistry meters,
      @Value("${orca.gateway.audit.queue-capacity:10000}") int capacity,
      @Value("${orca.gateway.audit.concurrency:4}") int concurrency) {
    this.store = store;
    this.concurrency = Math.max(1, concurrency);
    this.queue = new ArrayBlockingQueue<>(Math.max(1, capacity));
    this.sink = Sinks.many().unicast().onBackpressureBuffer(queue);
    this.dropped = Counter.builder("orca.gateway.audit.dropped")
        .description("External tool calls not audited because the audit queue was full")
        .register(meters);
    this.failed = Counter.builder("orca.gateway.audit.failed")
        .description("External tool calls whose audit row could not be written")
        .register(meters);
    this.written = Counter.builder("orca.gateway.audit.written")
        .description("External tool calls written to mcp_tool_calls")
        .register(meters);
    Gauge.builder("orca.gateway.audit.queued", queue, Queue::size)
        .description("External tool calls waiting to be written")
        .register(meters);
  }

  @Override
  public void record(CallRecord call) {
    EmitResult result;
    do {
      result = sink.tryEmitNext(call);
    } while (result == EmitResult.FAIL_NON_SERIALIZED); // another thread is emitting right now: brief
    if (result.isFailure()) {
      dropped.increment();
      long n = (long) dropped.count();
      if ((n & (n - 1)) == 0) { // the 1st, 2nd, 4th, 8th … drop: a flood of calls is not a flood of logs
        log.warn("Audit queue full: {} external call(s) not audited so far (orca_gateway_audit_dropped_total); "
            + "latest {}.{}", n, call.server(), call.tool());
      }
    }
  }

  @Override
  public void start() {
    writer = sink.asFlux()
        .flatMap(call -> store.insert(call)
            .doOnSuccess(v -> written.increment())
            .onErrorResume(e -> {
              failed.increment();
              log.warn("Could not write the audit row of a call to {}.{}: {}", call.server(), call.tool(), e.toString());
              return Mono.empty();
            }), concurrency)
        .subscribe();
  }

  @Override
  public void stop() {
    Disposable w = writer;
    if (w != null) {
      w.dispose();
    }
  }

  @Override
  public boolean isRunning() {
    Disposable w = writer;
    return w != null && !w.isDisposed();
  }
}

package dev.orca.orchestrator.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One engine replica. Claims runnable executions by lease when woken — by a notification of new or
 * due work, by a retry falling due on this replica, by a finished execution freeing a slot, or by
 * the slow safety-net poll — and runs up to {@code maxConcurrent} of them at once. Holds no thread,
 * connection or lease for an execution that waits (for a retry or for nothing).
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final ExecutionStore store;
  private final EngineSettings settings;
  private final EngineMetrics metrics;
  private final Flux<?> workNotifications;
  private final ExecutionRunner runner;
  private final Map<UUID, Disposable> running = new ConcurrentHashMap<>();
  private final AtomicBoolean claiming = new AtomicBoolean();
  private final AtomicBoolean pending = new AtomicBoolean();
  /** Slots held for executions being created already claimed by this replica ({@link #reserve()}). */
  private final AtomicInteger reserved = new AtomicInteger();
  private volatile boolean backlog;
  private volatile boolean stopped = true;
  private Disposable wakeups;

  /**
   * @param workNotifications emits whenever new or due work may exist (LISTEN on the work channel)
   * @param cancelRequests ids of executions whose cancellation was requested (on any replica)
   */
  public Engine(ExecutionStore store, ToolInvoker tools, AgentInvoker agents, EngineMetrics metrics,
      EngineSettings settings, Flux<?> workNotifications, Flux<UUID> cancelRequests) {
    this.store = store;
    this.settings = settings;
    this.metrics = metrics;
    this.workNotifications = workNotifications;
    this.runner = new ExecutionRunner(store, tools, agents, metrics, settings, cancelRequests, this::wakeAt,
        RandomGenerator.getDefault());
  }

  public synchronized void start() {
    if (!stopped) {
      return;
    }
    stopped = false;
    wakeups = Flux.merge(
            workNotifications.map(n -> Boolean.TRUE).onErrorResume(e -> {
              log.warn("Work notifications failed ({}); relying on the {} poll", e.toString(), settings.pollInterval());
              return Flux.empty();
            }),
            Flux.interval(Duration.ZERO, settings.pollInterval()).map(t -> Boolean.TRUE))
        .subscribe(w -> poke());
    log.info("Engine {} started: up to {} executions at once, lease {}", settings.owner(), settings.maxConcurrent(), settings.lease());
  }

  /**
   * Stops claiming, lets running steps finish for up to the drain timeout, then disposes what still
   * runs (its lease is given back so another replica resumes it at once) and calls {@code done}.
   */
  public void stop(Runnable done) {
    synchronized (this) {
      stopped = true;
      if (wakeups != null) {
        wakeups.dispose();
      }
    }
    Flux.interval(Duration.ofMillis(50))
        .takeUntil(t -> running.isEmpty())
        .take(settings.drainTimeout())
        .then(Mono.fromRunnable(() -> running.values().forEach(Disposable::dispose)))
        .subscribe(null, e -> done.run(), done);
  }

  public int active() {
    return running.size();
  }

  /** Claims now (coalesced: at most one claim statement in flight per replica). */
  public void poke() {
    pending.set(true);
    if (!stopped && claiming.compareAndSet(false, true)) {
      claimRound();
    }
  }

  private void claimRound() {
    pending.set(false);
    int free = free();
    Mono<Long> claimed = free <= 0
        ? Mono.just(0L)
        : store.claim(settings.owner(), settings.lease(), free).doOnNext(this::launch).count();
    claimed.subscribe(
        n -> afterRound(free <= 0 || n == free),
        e -> {
          log.warn("Claiming work failed: {}", e.toString());
          afterRound(false);
        });
  }

  private void afterRound(boolean full) {
    backlog = full;
    claiming.set(false);
    if (pending.get() || (full && free() > 0)) {
      poke();
    }
  }

  /** Slots neither running an execution nor reserved for an eager start. */
  private int free() {
    return settings.maxConcurrent() - running.size() - reserved.get();
  }

  /**
   * Holds a slot for an execution about to be created with this replica's lease already on it (an
   * eager start: no claim statement, no wake-up, no hop). Only when the engine runs, has room, and its
   * last claim did not fill it (otherwise older work may be waiting, and it goes first).
   */
  public Optional<Reservation> reserve() {
    if (stopped || backlog) {
      return Optional.empty();
    }
    while (true) {
      int held = reserved.get();
      if (running.size() + held >= settings.maxConcurrent()) {
        return Optional.empty();
      }
      if (reserved.compareAndSet(held, held + 1)) {
        return Optional.of(new Reservation());
      }
    }
  }

  /** A slot {@link #reserve()} held: launch the execution into it, or release it. Either at most once. */
  public final class Reservation {
    private final AtomicBoolean open = new AtomicBoolean(true);

    private Reservation() {}

    public String owner() {
      return settings.owner();
    }

    public Duration lease() {
      return settings.lease();
    }

    /** Runs an execution created (and committed) with this replica's lease on it. */
    public void launch(ClaimedExecution claimed) {
      if (!open.compareAndSet(true, false)) {
        throw new IllegalStateException("reservation already used");
      }
      if (stopped) {
        // Stopping: give the lease back so another replica (or this one's successor) runs it at once.
        store.release(claimed.id(), settings.owner()).subscribe(null, e -> log.debug("release failed", e));
      } else {
        Engine.this.launch(claimed);
      }
      reserved.decrementAndGet();
    }

    /** The execution was not created (or not by this start): the slot is free again. */
    public void release() {
      if (open.compareAndSet(true, false)) {
        reserved.decrementAndGet();
        if (backlog) {
          poke(); // the slot is free and more work may be waiting
        }
      }
    }
  }

  private void launch(ClaimedExecution claimed) {
    // Registered before subscribing, so a run that ends at once cannot leave a stale slot behind.
    Disposable.Swap slot = Disposables.swap();
    running.put(claimed.id(), slot);
    slot.update(runner.run(claimed)
        .doFinally(signal -> {
          running.remove(claimed.id(), slot);
          metrics.executionsActive(running.size());
          if (backlog) {
            poke(); // a slot is free and more work may be waiting
          }
        })
        .subscribe(null, e -> log.error("Execution {} failed unexpectedly", claimed.id(), e)));
    metrics.executionsActive(running.size());
  }

  /** A retry falls due at {@code at}: claim then, holding nothing meanwhile. */
  private void wakeAt(Instant at) {
    Duration wait = Duration.between(Instant.now(), at);
    Mono.delay(wait.isNegative() ? Duration.ZERO : wait).subscribe(t -> poke());
  }
}

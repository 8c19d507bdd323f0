package dev.orca.orchestrator.execution;

import dev.orca.orchestrator.engine.EngineMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/** DESIGN §7 execution and step metrics on Micrometer; labels are names and statuses, never ids. */
@Component
public class ExecutionMetrics implements EngineMetrics {
  private final MeterRegistry registry;
  private final AtomicInteger active = new AtomicInteger();

  ExecutionMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.gauge("orca.executions.active", active);
  }

  /** {@code orca_executions_started_total}; {@code trigger} is {@code api} or {@code event}. */
  public void started(String workflow, String trigger) {
    Counter.builder("orca.executions.started").tags("workflow", workflow, "trigger", trigger).register(registry).increment();
  }

  @Override
  public void executionFinished(String workflow, String status, Duration duration) {
    Counter.builder("orca.executions.finished").tags("workflow", workflow, "status", status).register(registry).increment();
    Timer.builder("orca.execution.duration").tags("workflow", workflow, "status", status)
        .publishPercentileHistogram().register(registry).record(duration);
  }

  @Override
  public void stepFinished(String workflow, String kind, String status, Duration duration) {
    Counter.builder("orca.steps.finished").tags("workflow", workflow, "kind", kind, "status", status).register(registry).increment();
    Timer.builder("orca.step.duration").tags("workflow", workflow, "kind", kind)
        .publishPercentileHistogram().register(registry).record(duration);
  }

  @Override
  public void stepRetried(String workflow) {
    Counter.builder("orca.step.retries").tags("workflow", workflow).register(registry).increment();
  }

  @Override
  public void executionsActive(int count) {
    active.set(count);
  }
}

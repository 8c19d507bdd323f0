package dev.orca.orchestrator.engine;

import java.time.Duration;

/** What the engine reports (DESIGN §7); labels are workflow names, kinds and statuses — never ids. */
public interface EngineMetrics {
  void executionFinished(String workflow, String status, Duration duration);

  void stepFinished(String workflow, String kind, String status, Duration duration);

  void stepRetried(String workflow);

  void executionsActive(int active);

  EngineMetrics NONE = new EngineMetrics() {
    @Override public void executionFinished(String workflow, String status, Duration duration) {}
    @Override public void stepFinished(String workflow, String kind, String status, Duration duration) {}
    @Override public void stepRetried(String workflow) {}
    @Override public void executionsActive(int active) {}
  };
}

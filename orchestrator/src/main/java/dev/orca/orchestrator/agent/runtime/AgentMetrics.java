package dev.orca.orchestrator.agent.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.math.BigDecimal;
import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * DESIGN §7 agent metrics: {@code orca_agent_tokens_total{agent,model,kind}} (kind prompt | completion),
 * {@code orca_agent_cost_usd_total{agent,model}}, and {@code orca_agent_run_duration_seconds{agent,model,outcome}}.
 * Labels are slugs, model names and fixed words, never ids.
 */
@Component
class AgentMetrics {
  static final String NO_MODEL = "none";
  private final MeterRegistry registry;

  AgentMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void recorded(String agent, String model, Ledger ledger, BigDecimal cost, Duration duration, String outcome) {
    String m = model == null ? NO_MODEL : model;
    if (ledger.usageReported()) {
      tokens(agent, m, "prompt", ledger.promptTokens());
      tokens(agent, m, "completion", ledger.completionTokens());
    }
    if (cost != null) {
      Counter.builder("orca.agent.cost.usd").tags("agent", agent, "model", m).register(registry).increment(cost.doubleValue());
    }
    Timer.builder("orca.agent.run.duration").tags("agent", agent, "model", m, "outcome", outcome)
        .publishPercentileHistogram().register(registry).record(duration);
  }

  private void tokens(String agent, String model, String kind, long n) {
    Counter.builder("orca.agent.tokens").tags("agent", agent, "model", model, "kind", kind).register(registry).increment(n);
  }
}

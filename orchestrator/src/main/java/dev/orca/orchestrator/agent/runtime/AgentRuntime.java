package dev.orca.orchestrator.agent.runtime;

import dev.orca.orchestrator.agent.registry.Agent;
import dev.orca.orchestrator.agent.registry.PostgresAgentStore;
import dev.orca.orchestrator.engine.AgentInvocation;
import dev.orca.orchestrator.engine.AgentInvoker;
import dev.orca.orchestrator.engine.AgentResult;
import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * The engine's {@link AgentInvoker}: finds the agent by slug, checks the step's input against
 * {@code io_schema.input}, writes the {@code agent_runs} row, runs the agent by type within the step's
 * timeout, shapes the answer (JSON when {@code io_schema.output} asks for more than a string) and checks it
 * against {@code io_schema.output}, then finishes the row with usage, cost, output, tool calls and error,
 * and records metrics. A cancelled run (execution cancelled, lease lost) is finished with error
 * {@code cancelled}; the row writes run to the end even when the subscriber has gone.
 */
@Component
@EnableConfigurationProperties(AgentSettings.class)
public class AgentRuntime implements AgentInvoker {
  private static final Logger log = LoggerFactory.getLogger(AgentRuntime.class);
  private static final int MAX_SCHEMA_ERRORS = 10;

  private final PostgresAgentStore agents;
  private final AgentRunStore runs;
  private final Map<String, AgentRunner> runners;
  private final AgentSettings settings;
  private final AgentMetrics metrics;
  private final JsonMapper json;
  private final IoSchemas schemas = new IoSchemas();

  AgentRuntime(PostgresAgentStore agents, AgentRunStore runs, List<AgentRunner> runners, AgentSettings settings,
      AgentMetrics metrics, JsonMapper json) {
    this.agents = agents;
    this.runs = runs;
    this.runners = runners.stream().collect(Collectors.toMap(AgentRunner::type, Function.identity()));
    this.settings = settings;
    this.metrics = metrics;
    this.json = json;
  }

  @Override
  public Mono<AgentResult> invoke(AgentInvocation invocation) {
    return agents.find(invocation.agent())
        .switchIfEmpty(Mono.error(() -> new StepFailure(Kind.VALIDATION, "agent '" + invocation.agent()
            + "' is not registered; register it with POST /api/v1/agents")))
        .flatMap(agent -> {
          List<String> errors = schemas.errors(agent.ioSchema().get("input"), invocation.input());
          if (!errors.isEmpty()) {
            return Mono.error(schemaFailure(agent, "input", errors));
          }
          AgentRunner runner = runners.get(agent.agentType());
          if (runner == null) {
            return Mono.error(new StepFailure(Kind.UNSUPPORTED, "no runtime for agent type '" + agent.agentType() + "'"));
          }
          return run(new AgentRun(UUID.randomUUID(), agent, invocation, new Ledger(model(agent))), runner);
        });
  }

  private Mono<AgentResult> run(AgentRun run, AgentRunner runner) {
    return Mono.defer(() -> {
      AtomicBoolean ended = new AtomicBoolean();
      long t0 = System.nanoTime();
      // Detached: once begun the row is written, so a cancellation meanwhile can still finish it.
      CompletableFuture<Void> started = runs.started(run).toFuture();
      Mono<JsonNode> answer = Mono.fromFuture(started, true).then(Mono.defer(() -> runner.run(run)));
      Duration timeout = run.invocation().timeout();
      if (timeout != null && timeout.compareTo(Duration.ZERO) > 0) {
        answer = answer.timeout(timeout);
      }
      return answer
          .switchIfEmpty(Mono.error(() -> new StepFailure(Kind.PROTOCOL, "agent '" + run.agent().slug() + "' gave no answer")))
          .onErrorMap(e -> failure(e, run, timeout))
          .flatMap(raw -> {
            JsonNode output = shape(run.agent(), raw);
            List<String> errors = schemas.errors(run.agent().ioSchema().get("output"), output);
            if (!errors.isEmpty()) {
              StepFailure f = schemaFailure(run.agent(), "output", errors);
              return end(run, ended, t0, output, f.getMessage(), "failed").then(Mono.error(f));
            }
            return end(run, ended, t0, output, null, "completed").thenReturn(result(run, output));
          })
          .onErrorResume(StepFailure.class, f -> end(run, ended, t0, null, f.getMessage(), "failed").then(Mono.error(f)))
          .doOnCancel(() -> started.whenComplete((ok, e) -> end(run, ended, t0, null, "cancelled", "cancelled")
              .subscribe(null, err -> log.warn("could not finish cancelled agent run {}: {}", run.id(), err.toString()))));
    });
  }

  /** Finishes the row once (the first ending wins) and records metrics; detached from the subscriber. */
  private Mono<Void> end(AgentRun run, AtomicBoolean ended, long t0, JsonNode output, String error, String outcome) {
    if (!ended.compareAndSet(false, true)) {
      return Mono.empty();
    }
    Ledger ledger = run.ledger();
    Duration duration = Duration.ofNanos(System.nanoTime() - t0);
    BigDecimal cost = ledger.usageReported()
        ? settings.cost(ledger.model(), ledger.promptTokens(), ledger.completionTokens()) : null;
    metrics.recorded(run.agent().slug(), ledger.model(), ledger, cost, duration, outcome);
    return Mono.fromFuture(runs.finished(run.id(), ledger, cost, duration.toMillis(), output, error).toFuture(), true);
  }

  private AgentResult result(AgentRun run, JsonNode output) {
    ObjectNode record = json.createObjectNode();
    record.put("agentRunId", run.id().toString());
    record.put("agent", run.agent().slug());
    if (run.ledger().model() != null) {
      record.put("model", run.ledger().model());
    }
    if (run.ledger().usageReported()) {
      record.putObject("usage")
          .put("promptTokens", run.ledger().promptTokens())
          .put("completionTokens", run.ledger().completionTokens())
          .put("totalTokens", run.ledger().promptTokens() + run.ledger().completionTokens());
    }
    record.put("toolCalls", run.ledger().toolCalls().size());
    record.set("output", output);
    return new AgentResult(output, record);
  }

  /** Text parsed as JSON when the output schema asks for JSON (a fenced ```json block is unwrapped). */
  private JsonNode shape(Agent agent, JsonNode raw) {
    if (!raw.isString() || !IoSchemas.wantsJson(agent.ioSchema().get("output"))) {
      return raw;
    }
    String text = raw.asString().strip();
    if (text.startsWith("```")) {
      text = text.replaceFirst("^```[a-zA-Z]*\\s*", "").replaceFirst("\\s*```$", "");
    }
    try {
      return json.readTree(text);
    } catch (JacksonException e) {
      return StringNode.valueOf(raw.asString()); // the schema check then says what was expected
    }
  }

  private static StepFailure schemaFailure(Agent agent, String part, List<String> errors) {
    String listed = errors.stream().limit(MAX_SCHEMA_ERRORS).collect(Collectors.joining("; "));
    return new StepFailure(Kind.VALIDATION, "agent '" + agent.slug() + "': " + part + " does not match io_schema."
        + part + ": " + listed + (errors.size() > MAX_SCHEMA_ERRORS ? "; …" : ""));
  }

  private static Throwable failure(Throwable e, AgentRun run, Duration timeout) {
    if (e instanceof TimeoutException) {
      return new StepFailure(Kind.TIMEOUT, "agent '" + run.agent().slug() + "' did not answer within "
          + timeout.toMillis() + " ms");
    }
    if (e instanceof StepFailure) {
      return e;
    }
    return new StepFailure(Kind.TRANSPORT, "agent '" + run.agent().slug() + "' failed: " + e, e);
  }

  private static String model(Agent agent) {
    return agent.llmConfig() == null ? null : agent.llmConfig().path("model").asString(null);
  }
}

package dev.orca.orchestrator.execution;

import dev.orca.orchestrator.engine.AgentInvoker;
import dev.orca.orchestrator.engine.Engine;
import dev.orca.orchestrator.engine.EngineSettings;
import dev.orca.orchestrator.engine.ToolInvoker;
import dev.orca.orchestrator.notify.PgNotifications;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Starts this replica's engine with the application and stops it in order: stop claiming, let
 * running steps finish (up to the drain timeout), give back the leases of what still runs.
 */
@Component
@EnableConfigurationProperties(EngineLifecycle.Properties.class)
class EngineLifecycle implements SmartLifecycle {
  private final Engine engine;
  private final String owner;
  private final boolean enabled;
  private volatile boolean running;

  /** {@code orca.engine.*}: see README's configuration table. */
  @ConfigurationProperties("orca.engine")
  record Properties(
      @DefaultValue("true") boolean enabled,
      String owner,
      @DefaultValue("30s") Duration lease,
      @DefaultValue("5s") Duration pollInterval,
      @DefaultValue("64") int maxConcurrent,
      @DefaultValue("5m") Duration defaultStepTimeout,
      @DefaultValue("20s") Duration drainTimeout,
      @DefaultValue("64") int writeBatchSize,
      @DefaultValue("1") int writeConcurrency) {}

  EngineLifecycle(Properties properties, PostgresExecutionStore store, ToolInvoker tools, AgentInvoker agents,
      ExecutionMetrics metrics, PgNotifications notifications) {
    String owner = properties.owner() != null && !properties.owner().isBlank()
        ? properties.owner()
        : ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
    EngineSettings settings = new EngineSettings(owner, properties.lease(), properties.pollInterval(),
        properties.maxConcurrent(), properties.defaultStepTimeout(), properties.drainTimeout());
    this.owner = owner;
    this.engine = new Engine(store, tools, agents, metrics, settings,
        // Every notice wakes the claimer: new work, and (re)established LISTEN after a reconnect,
        // since notifications sent while it was down are lost. Not this replica's own announcements
        // (WorkAnnouncer): it was woken in process when it sent them.
        notifications.events(PostgresExecutionStore.WORK_CHANNEL)
            .filter(notice -> !(notice instanceof PgNotifications.Notice.Payload p && p.value().equals(owner))),
        notifications.listen(PostgresExecutionStore.CANCEL_CHANNEL).map(UUID::fromString));
    this.enabled = properties.enabled();
  }

  Engine engine() {
    return engine;
  }

  /** This replica's lease owner name (also what its {@link WorkAnnouncer} says in its NOTIFYs). */
  String owner() {
    return owner;
  }

  /** A slot of this replica's engine for an execution the API creates already claimed, if it has room. */
  Optional<Engine.Reservation> reserve() {
    return enabled ? engine.reserve() : Optional.empty();
  }

  /** Claims now if this replica runs an engine (new work was committed here). */
  void wake() {
    if (enabled) {
      engine.poke();
    }
  }

  @Override
  public void start() {
    if (enabled) {
      engine.start();
    }
    running = true;
  }

  @Override
  public void stop(Runnable callback) {
    running = false;
    if (enabled) {
      engine.stop(callback);
    } else {
      callback.run();
    }
  }

  @Override
  public void stop() {
    throw new UnsupportedOperationException("stopped asynchronously through stop(Runnable)");
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** After the web server stops taking requests, before the database pool closes. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 1024;
  }
}

package dev.orca.orchestrator.agent.runtime;

import dev.orca.orchestrator.agent.registry.Agent;
import dev.orca.orchestrator.engine.AgentInvocation;
import java.util.UUID;

/** One run of {@code agent} for a step attempt; {@code id} is its {@code agent_runs} row. */
public record AgentRun(UUID id, Agent agent, AgentInvocation invocation, Ledger ledger) {}

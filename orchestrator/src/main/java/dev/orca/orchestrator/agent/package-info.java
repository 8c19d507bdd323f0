/** Agents: the registry ({@code registry}) and the runtime that runs agent steps ({@code runtime}, {@code llm},
 * {@code remote}), recording each run in {@code agent_runs}. */
package dev.orca.orchestrator.agent;

/** Agents that run elsewhere: {@code api} agents (an HTTP call built from their endpoint) and {@code external}
 * agents (A2A JSON-RPC {@code message/send}). */
package dev.orca.orchestrator.agent.remote;

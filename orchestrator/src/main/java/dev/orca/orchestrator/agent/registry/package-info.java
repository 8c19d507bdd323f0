/** The organization and agent registry: {@code /api/v1/organizations} and {@code /api/v1/agents}, with the
 * agent type rules of seed 003 checked before the database (whose named CHECKs are the backstop). */
package dev.orca.orchestrator.agent.registry;

/** Triggers: webhook CloudEvents from Kafka recorded in {@code events} and routed to workflows by repository
 * {@code auto_workflows} and {@code event_subscriptions}, with the API that manages both. */
package dev.orca.orchestrator.trigger;

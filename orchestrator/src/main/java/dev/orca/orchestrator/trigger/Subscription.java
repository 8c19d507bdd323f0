package dev.orca.orchestrator.trigger;

import java.time.OffsetDateTime;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * An {@code event_subscriptions} row, also the API's body: events of {@code source} whose type matches
 * {@code eventTypePattern} (see {@link EventTypePattern}) and for which {@code filterExpression} (CEL,
 * optional) is true start {@code workflow} with {@code inputMapping} resolved over the event.
 */
public record Subscription(UUID id, String name, String source, String eventTypePattern, String filterExpression,
    String workflow, JsonNode inputMapping, boolean enabled, OffsetDateTime createdAt, OffsetDateTime updatedAt) {}

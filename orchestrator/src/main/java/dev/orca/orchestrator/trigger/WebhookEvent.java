package dev.orca.orchestrator.trigger;

import tools.jackson.databind.JsonNode;

/**
 * A webhook as ingest published it (DESIGN §6).
 *
 * @param source {@code github}, {@code linear} or {@code slack}
 * @param type the CloudEvent type, e.g. {@code com.github.issues.opened}
 * @param deliveryId the provider's delivery id ({@code ce_id})
 * @param origin the CloudEvent source: repository, team or workspace
 * @param subject the issue or pull request where there is one, else null
 * @param payload the provider's JSON body
 */
public record WebhookEvent(String source, String type, String deliveryId, String origin, String subject, JsonNode payload) {}

package dev.orca.ingest.provider;

import dev.orca.ingest.Source;
import java.net.URI;
import java.time.Instant;

/**
 * A verified webhook ready to publish.
 *
 * @param deliveryId the provider's delivery id ({@code ce_id}); unique per source
 * @param event the bounded metric label of its event
 * @param type the CloudEvent type, e.g. {@code com.github.issues.opened}
 * @param origin the CloudEvent source: repository, team or workspace
 * @param subject the issue or pull request it is about, or null
 * @param key the record key: one repository's (team's, channel's) events share it, so they stay in order
 * @param body the provider's body, byte for byte
 */
public record Webhook(Source source, String deliveryId, String event, String type, URI origin, String subject,
    String key, byte[] body, Instant receivedAt) {}

package dev.orca.ingest.publish;

import dev.orca.ingest.Source;
import java.util.Map;

/**
 * One Kafka record as ingest publishes it, whether directly or later from the outbox: the CloudEvent
 * attributes as {@code ce_*} headers (binary mode) and the provider's body as the value.
 */
public record OutgoingRecord(Source source, String deliveryId, String topic, String key,
    Map<String, String> headers, byte[] value) {}

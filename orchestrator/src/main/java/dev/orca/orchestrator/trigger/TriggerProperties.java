package dev.orca.orchestrator.trigger;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code orca.triggers.*}: the consumer group over the webhook topics (DESIGN §6).
 *
 * @param enabled consume at all ({@code ORCA_TRIGGERS_ENABLED})
 * @param groupId the Kafka consumer group; replicas with the same id share the partitions
 * @param topics the webhook topics
 * @param deadLetterTopic where undecodable records go, with the reason in headers
 * @param partitions partitions of a topic this service creates because it is missing
 * @param maxBackoff the longest wait between retries of an event whose effect could not be stored
 * @param batchSize most records of a partition handled together, in one transaction
 * @param batchWait how long the first record of a batch waits for others (positive); records that arrive while the
 *     partition's previous batch is handled wait for it anyway
 */
@ConfigurationProperties("orca.triggers")
public record TriggerProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("orca-orchestrator-triggers") String groupId,
    @DefaultValue({"orca.webhooks.github", "orca.webhooks.linear", "orca.webhooks.slack"}) List<String> topics,
    @DefaultValue("orca.webhooks.dlq") String deadLetterTopic,
    @DefaultValue("3") int partitions,
    @DefaultValue("30s") Duration maxBackoff,
    @DefaultValue("100") int batchSize,
    @DefaultValue("1ms") Duration batchWait) {}

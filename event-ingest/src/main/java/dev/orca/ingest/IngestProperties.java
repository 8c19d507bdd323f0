package dev.orca.ingest;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * event-ingest's settings ({@code orca.ingest.*}, each overridable by environment, e.g.
 * {@code ORCA_INGEST_GITHUB_SECRETS}, {@code ORCA_INGEST_MAX_BODY_SIZE}); README lists them.
 *
 * @param maxBodySize a larger body is refused with 413 while it is read (GitHub caps payloads at 25 MiB)
 * @param publishTimeout how long a webhook waits for the broker's acknowledgement before it is queued in
 *     the outbox instead (keep it under Slack's 3 s answer deadline)
 * @param maxBatch most webhooks written (one insert statement) and published together
 * @param batchConcurrency batches one replica runs at once
 * @param maxPending webhooks waiting for a batch beyond this are answered 503 (back-pressure)
 * @param topicPartitions partitions of the {@code orca.webhooks.*} topics when ingest creates them
 * @param dedupRetention how long published deliveries are remembered for de-duplication
 * @param relayPollInterval how often the outbox relay looks for queued webhooks (it is also woken
 *     whenever this replica queues one)
 * @param secretsRefresh how often secret files are read again (mounted secrets rotate in place)
 * @param rateLimit webhooks per second accepted per source by one replica; 0 turns the limit off
 */
@ConfigurationProperties("orca.ingest")
public record IngestProperties(
    @DefaultValue("25MB") DataSize maxBodySize,
    @DefaultValue("2500ms") Duration publishTimeout,
    @DefaultValue("500") int maxBatch,
    @DefaultValue("4") int batchConcurrency,
    @DefaultValue("20000") int maxPending,
    @DefaultValue("3") int topicPartitions,
    @DefaultValue("72h") Duration dedupRetention,
    @DefaultValue("2s") Duration relayPollInterval,
    @DefaultValue("60s") Duration secretsRefresh,
    @DefaultValue("10000") int rateLimit,
    @DefaultValue Secrets github,
    @DefaultValue Secrets linear,
    @DefaultValue Secrets slack) {

  /**
   * A source's signing secrets: literal values and files holding one secret each (trailing whitespace
   * ignored). Every one is accepted, so a secret can be rotated without refusing deliveries.
   */
  public record Secrets(@DefaultValue List<String> secrets, @DefaultValue List<String> secretFiles) {}
}

package dev.orca.ingest.provider;

import java.util.Locale;

/** What became of one webhook: the {@code outcome} label of {@code orca_ingest_webhooks_total}. */
public enum Outcome {
  /** On the topic, acknowledged by the broker (200). */
  PUBLISHED,
  /** Kept in the outbox while Kafka is unreachable; the relay publishes it (202). */
  QUEUED,
  /** The delivery id was accepted before; nothing published again (200). */
  DUPLICATE,
  /** Answered without publishing: GitHub's ping, Slack's url_verification, events ingest does not forward (200). */
  ANSWERED,
  BAD_SIGNATURE,
  STALE,
  MALFORMED,
  TOO_LARGE,
  RATE_LIMITED,
  /** No signing secret configured for the source (404). */
  NOT_CONFIGURED,
  /** Neither Kafka nor PostgreSQL took it, or too many webhooks were waiting (503). */
  UNAVAILABLE;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

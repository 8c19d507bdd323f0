package dev.orca.ingest.provider;

/** What a provider made of a verified request: publish it, or answer it directly. */
public sealed interface Verdict {

  /** Publish this webhook. */
  record Accept(Webhook webhook) implements Verdict {}

  /**
   * Answer 200 with this JSON and publish nothing (GitHub's ping, Slack's url_verification, Slack
   * notices such as app_rate_limited).
   */
  record Answer(String event, String json) implements Verdict {}
}

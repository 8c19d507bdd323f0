package dev.orca.ingest;

import java.util.Locale;

/** The webhook providers ingest accepts; each has its endpoint, secrets and topic. */
public enum Source {
  GITHUB, LINEAR, SLACK;

  /** {@code github}, {@code linear}, {@code slack}: the path segment, metric label and outbox value. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The source named by {@link #id()}. */
  public static Source of(String id) {
    return valueOf(id.toUpperCase(Locale.ROOT));
  }

  /** The Kafka topic of its events (DESIGN §6). */
  public String topic() {
    return "orca.webhooks." + id();
  }
}

package dev.orca.ingest;

import dev.orca.ingest.provider.Outcome;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * DESIGN §7's ingest metrics: {@code orca_ingest_webhooks_total{source,event,outcome}} (every
 * answer, rejections included) and {@code orca_ingest_publish_duration_seconds{source}} (arrival to
 * the broker's acknowledgement, webhooks published directly). Labels are bounded: the event label
 * comes from each provider's fixed list.
 */
@Component
public class IngestMetrics {
  private final MeterRegistry registry;
  private final Map<Source, Timer> publishDurations = new EnumMap<>(Source.class);
  /** Bounded like the labels; saves building and looking up the meter id on every webhook. */
  private final Map<CounterKey, Counter> counters = new ConcurrentHashMap<>();

  private record CounterKey(Source source, String event, Outcome outcome) {}

  public IngestMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Source source : Source.values()) {
      publishDurations.put(source, Timer.builder("orca.ingest.publish.duration")
          .description("From a webhook's arrival to the broker's acknowledgement")
          .tag("source", source.id())
          .publishPercentileHistogram()
          .maximumExpectedValue(Duration.ofSeconds(10))
          .register(registry));
    }
  }

  public void webhook(Source source, String event, Outcome outcome) {
    counters.computeIfAbsent(new CounterKey(source, event, outcome), key -> Counter.builder("orca.ingest.webhooks")
        .description("Webhooks received, by what became of them")
        .tag("source", source.id())
        .tag("event", event)
        .tag("outcome", outcome.label())
        .register(registry))
        .increment();
  }

  public void published(Source source, long nanos) {
    publishDurations.get(source).record(Duration.ofNanos(nanos));
  }
}

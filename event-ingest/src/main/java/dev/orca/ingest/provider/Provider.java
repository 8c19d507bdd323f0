package dev.orca.ingest.provider;

import dev.orca.ingest.Source;
import java.time.Instant;
import org.springframework.http.HttpHeaders;

/** One provider's webhook format: verification first, then reading the event. */
public interface Provider {

  Source source();

  /** The metric label of the event as far as the headers tell before verification. */
  String eventLabel(HttpHeaders headers);

  /**
   * Verifies the request (signature over the raw body, freshness) and reads it.
   *
   * @throws Rejection when it is not authentic, too old or malformed
   */
  Verdict read(HttpHeaders headers, byte[] body, Instant now);
}

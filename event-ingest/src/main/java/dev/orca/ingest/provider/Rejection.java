package dev.orca.ingest.provider;

/**
 * A webhook refused before anything was published: the HTTP status and an RFC 9457 title and detail
 * telling the sender what to fix. Carries no stack trace (it is an answer, not a fault).
 */
public final class Rejection extends RuntimeException {
  private final Outcome outcome;
  private final int status;
  private final String title;
  private final String event;

  public Rejection(Outcome outcome, int status, String title, String detail, String event) {
    super(detail, null, false, false);
    this.outcome = outcome;
    this.status = status;
    this.title = title;
    this.event = event;
  }

  public static Rejection badSignature(String detail, String event) {
    return new Rejection(Outcome.BAD_SIGNATURE, 401, "Webhook signature not valid", detail, event);
  }

  public static Rejection stale(String detail, String event) {
    return new Rejection(Outcome.STALE, 401, "Webhook too old", detail, event);
  }

  public static Rejection malformed(String detail, String event) {
    return new Rejection(Outcome.MALFORMED, 400, "Malformed webhook", detail, event);
  }

  public Outcome outcome() {
    return outcome;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  /** The event label for metrics (bounded), {@link EventLabels#UNKNOWN} when not known yet. */
  public String event() {
    return event;
  }
}

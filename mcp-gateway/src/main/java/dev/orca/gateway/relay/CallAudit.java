package dev.orca.gateway.relay;

/** Where the relay hands finished external calls; must not block or throw. */
public interface CallAudit {
  void record(CallRecord call);
}

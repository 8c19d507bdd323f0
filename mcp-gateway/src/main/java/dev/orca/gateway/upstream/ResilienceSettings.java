package dev.orca.gateway.upstream;

import java.time.Duration;

/**
 * How every remote upstream is guarded (from {@code orca.gateway.upstream.*}).
 *
 * @param breakerWindow calls in the circuit breaker's sliding window
 * @param breakerMinimumCalls calls needed before the failure rate counts
 * @param breakerFailureRate failure percentage that opens the circuit
 * @param breakerOpenFor how long an open circuit refuses calls before letting one through
 * @param retries extra attempts for a call that cannot have had an effect (connection refused) or an
 *     idempotent tool
 * @param retryBackoff first backoff between attempts
 * @param toolsCacheTtl how long a {@code tools/list} page is reused without a list-changed notification
 */
public record ResilienceSettings(
    int breakerWindow,
    int breakerMinimumCalls,
    float breakerFailureRate,
    Duration breakerOpenFor,
    int retries,
    Duration retryBackoff,
    Duration toolsCacheTtl) {}

/**
 * The webhook endpoints: size-limited reading of the raw body, rate limits, and the answers (200/202,
 * or problem+json saying what to fix) with a metric for each.
 */
package dev.orca.ingest.http;

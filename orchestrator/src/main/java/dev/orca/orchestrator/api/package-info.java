/**
 * What every orchestrator HTTP API shares: errors as {@code application/problem+json} (RFC 9457),
 * including a readable 400 for a malformed body.
 */
package dev.orca.orchestrator.api;

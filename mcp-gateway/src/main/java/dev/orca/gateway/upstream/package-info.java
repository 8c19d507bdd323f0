/**
 * The outbound side: {@link dev.orca.gateway.upstream.RemoteUpstream}, an MCP client for one registered
 * server (either era, detected and remembered) with its timeout, bulkhead, circuit breaker and tool cache.
 */
package dev.orca.gateway.upstream;

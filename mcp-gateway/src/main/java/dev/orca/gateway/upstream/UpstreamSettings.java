package dev.orca.gateway.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One registered server, as the client needs it.
 *
 * @param healthCheckUrl a URL answering 2xx when the server is up, or null to check over MCP
 * @param authHeaders headers carrying the resolved secret; never printed ({@link #toString})
 */
public record UpstreamSettings(
    String name,
    URI endpoint,
    URI healthCheckUrl,
    Duration timeout,
    int maxConcurrentCalls,
    Map<String, String> authHeaders) {

  @Override
  public String toString() {
    return "UpstreamSettings[name=" + name + ", endpoint=" + endpoint + ", timeout=" + timeout
        + ", maxConcurrentCalls=" + maxConcurrentCalls + ", authHeaders=" + authHeaders.keySet() + "]";
  }
}

package dev.orca.gateway.mcp;

import dev.orca.common.security.ApiTokenFilter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.reactor.netty.NettyRouteProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

/**
 * The MCP endpoint: POST /mcp; GET and DELETE answer 405. Served by Reactor Netty ahead of WebFlux
 * ({@link McpEndpoint}); every other path goes on to WebFlux as before.
 */
@Configuration
class McpRoutes {
  @Bean
  NettyRouteProvider mcpEndpoint(McpHandler handler, ApiTokenFilter tokens,
      @Value("${spring.http.codecs.max-in-memory-size:4MB}") DataSize maxBody) {
    McpEndpoint endpoint = new McpEndpoint(handler, tokens, (int) Math.min(Integer.MAX_VALUE, maxBody.toBytes()));
    return routes -> routes
        .post(McpEndpoint.PATH, endpoint::post)
        .get(McpEndpoint.PATH, endpoint::notAllowed)
        .delete(McpEndpoint.PATH, endpoint::notAllowed);
  }
}

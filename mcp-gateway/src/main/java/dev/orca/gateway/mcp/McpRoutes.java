package dev.orca.gateway.mcp;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/** The MCP endpoint: POST /mcp; GET and DELETE answer 405. */
@Configuration
class McpRoutes {
  @Bean
  RouterFunction<ServerResponse> mcpEndpoint(McpHandler handler) {
    return RouterFunctions.route()
        .POST("/mcp", handler::post)
        .GET("/mcp", handler::notAllowed)
        .DELETE("/mcp", handler::notAllowed)
        .build();
  }
}
